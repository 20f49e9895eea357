import { describe, expect, test } from 'bun:test'
import { Hono } from 'hono'
import { AppError, toAppError } from '../src/errors.ts'
import type { AppEnv } from '../src/http/env.ts'
import { idempotency } from '../src/http/idempotency.ts'
import { createLogger } from '../src/log.ts'
import type { BotHandle } from '../src/pool/bot-types.ts'
import type { IdempotencyStore } from '../src/store/idempotency.ts'
import { createMemoryIdempotencyStore } from '../src/store/idempotency-memory.ts'
import { waitFor } from './support/stack.ts'

/**
 * The middleware alone, in front of handlers the test controls (no worker, no Discord): what a waiter does when
 * its client leaves, and which endings free the key. The whole service is tested in idempotency.test.ts.
 */
function harness(store: IdempotencyStore = createMemoryIdempotencyStore({ ttlMs: 60_000, maxKeys: 100 })) {
  let waiting = 0
  let runs = 0
  let gate = Promise.withResolvers<void>()
  let answer: () => Response | Promise<Response> = () => Response.json({ run: runs }, { status: 201 })
  const app = new Hono<AppEnv>()
  app.use('*', async (c, next) => {
    c.set('bot', { identity: { botId: '1104455672845533184' } } as BotHandle)
    await next()
  })
  app.use(
    '*',
    idempotency({
      store,
      log: createLogger('silent'),
      hooks: { onReplay() {}, onKeyReused() {}, onWaiting: (delta) => void (waiting += delta) },
    }),
  )
  app.post('/act', async () => {
    runs++
    await gate.promise
    return answer()
  })
  app.delete('/act', () => new Response(null, { status: 204 }))
  app.notFound(() => {
    throw new AppError(404, 'not_found', 'No route')
  })
  app.onError((err, c) => {
    const e = toAppError(err)
    return c.json({ error: e.publicMessage, code: e.code }, e.status)
  })
  const call = (method: string, path: string, key: string, signal?: AbortSignal) =>
    app.request(new Request(`http://test${path}`, { method, headers: { 'idempotency-key': key }, body: '{}', signal }))
  return {
    store,
    call,
    runs: () => runs,
    waiting: () => waiting,
    open: () => gate.resolve(),
    closeGate: () => void (gate = Promise.withResolvers<void>()),
    answerWith: (make: () => Response | Promise<Response>) => void (answer = make),
  }
}

describe('the Idempotency-Key middleware', () => {
  test('a waiter whose client disconnects stops waiting; the first still finishes and is kept', async () => {
    const h = harness()
    const first = h.call('POST', '/act', 'leave-1')
    const leaving = new AbortController()
    const waiter = h.call('POST', '/act', 'leave-1', leaving.signal)
    await waitFor(() => h.waiting() === 1)
    leaving.abort()
    expect((await waiter).status).toBe(499) // seen by no one: what the request log records
    expect(h.waiting()).toBe(0)
    expect(h.runs()).toBe(1) // the first is still held
    h.open()
    const done = await first
    expect(done.status).toBe(201)
    const later = await h.call('POST', '/act', 'leave-1')
    expect(later.headers.get('idempotent-replayed')).toBe('true')
    expect(await later.text()).toBe(await done.text())
    expect(h.runs()).toBe(1)
  })

  test('waiters get the first answer even when it is not kept (a 503), and the key is then free again', async () => {
    const h = harness()
    h.answerWith(() => Response.json({ error: 'Bot restarting', code: 'bot_unavailable' }, { status: 503 }))
    const first = h.call('POST', '/act', 'busy-1')
    const waiter = h.call('POST', '/act', 'busy-1')
    await waitFor(() => h.waiting() === 1)
    h.open()
    const [one, two] = await Promise.all([first, waiter])
    expect([one.status, two.status]).toEqual([503, 503])
    expect(two.headers.get('idempotent-replayed')).toBe('true')
    expect(h.runs()).toBe(1)
    expect(await h.store.get('1104455672845533184', 'busy-1')).toBeUndefined()
    h.answerWith(() => Response.json({ ok: true }, { status: 201 }))
    expect((await h.call('POST', '/act', 'busy-1')).status).toBe(201)
    expect(h.runs()).toBe(2)
  })

  test('a handler that throws (500) and a route that does not exist (a throw through the middleware) free the key', async () => {
    const h = harness()
    h.open()
    h.answerWith(() => {
      throw new Error('a bug of ours')
    })
    expect((await h.call('POST', '/act', 'bug-1')).status).toBe(500)
    expect(await h.store.get('1104455672845533184', 'bug-1')).toBeUndefined()
    expect((await h.call('POST', '/nowhere', 'missing-1')).status).toBe(404)
    expect(await h.store.get('1104455672845533184', 'missing-1')).toBeUndefined()
  })

  test('a kept 204 is replayed without a body', async () => {
    const h = harness()
    expect((await h.call('DELETE', '/act', 'gone-1')).status).toBe(204)
    const again = await h.call('DELETE', '/act', 'gone-1')
    expect(again.status).toBe(204)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.body).toBeNull()
  })

  test('two gateway nodes sharing one store: the retry on the other node waits for the first and replays it', async () => {
    const memory = createMemoryIdempotencyStore({ ttlMs: 60_000, maxKeys: 100 })
    const told: string[] = []
    const shared: IdempotencyStore = {
      ...memory,
      async begin(botId, key, fingerprint) {
        const outcome = await memory.begin(botId, key, fingerprint)
        told.push(outcome.state)
        return outcome
      },
    }
    const [one, other] = [harness(shared), harness(shared)]
    const first = one.call('POST', '/act', 'cluster-1')
    await waitFor(() => one.runs() === 1)
    const retry = other.call('POST', '/act', 'cluster-1')
    // the other node has no local promise to wait on: it looks at the store until the key is answered
    await waitFor(() => told.filter((state) => state === 'in_flight').length >= 2)
    one.open()
    const [a, b] = await Promise.all([first, retry])
    expect([a.status, b.status]).toEqual([201, 201])
    expect(b.headers.get('idempotent-replayed')).toBe('true')
    expect(await b.text()).toBe(await a.text())
    expect(other.runs()).toBe(0)
  })
})
