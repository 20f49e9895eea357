import { afterAll, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import type { Store } from '../src/store/types.ts'
import { startStack } from './support/stack.ts'
import { openSqlite, tempDataDir } from './support/store-fixtures.ts'

type Received = { body: string; headers: Headers }
const received: Received[] = []
const receiverServer = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(request) {
    received.push({ body: await request.text(), headers: request.headers })
    return new Response(null, { status: 204 })
  },
})
const receiverUrl = `http://127.0.0.1:${receiverServer.port}/hook`
const data = tempDataDir()
afterAll(() => {
  receiverServer.stop(true)
  data.remove()
})

const verifies = (got: Received | undefined, secret: string) => {
  const timestamp = got?.headers.get('botvisor-timestamp')
  const mac = createHmac('sha256', secret).update(`${timestamp}.${got?.body}`).digest('hex')
  return got?.headers.get('botvisor-signature') === `v1=${mac}`
}

/** The service on the SQLite store in `data.dir`: its webhooks and Idempotency-Key answers live there. */
async function serviceOnDisk() {
  const store: Store = await openSqlite(data.dir)
  const stack = await startStack(
    { ALLOW_PRIVATE_WEBHOOKS: '1' },
    { webhookStore: store.webhooks, idempotency: store.idempotency },
  )
  return {
    stack,
    async stop() {
      await stack.stop()
      await store.close()
    },
  }
}

test('after a restart on the same data, the webhook delivers again, signed with the secret it was created with', async () => {
  const first = await serviceOnDisk()
  const create = { url: receiverUrl, events: ['messageCreate'] }
  let created: { id: string; secret: string }
  try {
    const { sessionId } = await first.stack.login(first.stack.discord.tokens.alpha)
    const res = await first.stack.request('POST', '/api/webhooks', {
      sessionId,
      body: create,
      headers: { 'idempotency-key': 'create-once' },
    })
    expect(res.status).toBe(201)
    created = { id: res.json.id, secret: res.json.secret }
    expect((await first.stack.post(`/api/webhooks/${created.id}/test`, undefined, sessionId)).status).toBe(200)
    expect(verifies(received.at(-1), created.secret)).toBe(true)
  } finally {
    await first.stop()
  }

  const second = await serviceOnDisk()
  try {
    const { sessionId } = await second.stack.login(second.stack.discord.tokens.alpha)
    const listed = await second.stack.get('/api/webhooks', sessionId)
    expect(listed.json.map((hook: { id: string }) => hook.id)).toEqual([created.id])
    const history = await second.stack.get(`/api/webhooks/${created.id}/deliveries`, sessionId)
    expect(history.json).toEqual([expect.objectContaining({ eventType: 'ping', outcome: 'delivered' })])

    const before = received.length
    const tested = await second.stack.post(`/api/webhooks/${created.id}/test`, undefined, sessionId)
    expect(tested.status).toBe(200)
    expect(received.length).toBe(before + 1)
    expect(verifies(received.at(-1), created.secret)).toBe(true)

    // the create's retry after the restart gets the same answer (the secret included), and makes no second webhook
    const retried = await second.stack.request('POST', '/api/webhooks', {
      sessionId,
      body: create,
      headers: { 'idempotency-key': 'create-once' },
    })
    expect(retried.status).toBe(201)
    expect(retried.json).toMatchObject({ id: created.id, secret: created.secret })
    expect((await second.stack.get('/api/webhooks', sessionId)).json).toHaveLength(1)
  } finally {
    await second.stop()
  }
})
