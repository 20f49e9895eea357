import { afterEach, describe, expect, test } from 'bun:test'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { Writable } from 'node:stream'
import { createEventHub, type EventHub } from '../src/events/hub.ts'
import type { EventType } from '../src/events/types.ts'
import { createLogger } from '../src/log.ts'
import type { WebhookClock } from '../src/webhooks/delivery-queue.ts'
import { createMemoryWebhookStore } from '../src/webhooks/store.ts'
import { createWebhooks, type Webhooks } from '../src/webhooks/webhooks.ts'
import { waitFor } from './support/stack.ts'

const BOT = '100000000000000001'
const DAY_MS = 86_400_000

/** A clock the test drives: a retry's wait moves time on at once (recorded), so no test sleeps through backoff. */
function drivenClock(startMs = Date.UTC(2026, 10, 25, 12)) {
  const waits: number[] = []
  let now = startMs
  const clock: WebhookClock = {
    now: () => now,
    async wait(ms, signal) {
      if (signal.aborted) throw signal.reason
      waits.push(ms)
      now += ms
    },
  }
  return { clock, waits, advance: (ms: number) => void (now += ms) }
}

type Received = { body: string; headers: Headers }

/** A loopback receiver answering from `answer(n)` (n: the request's number, from 1). */
function receiver(answer: (n: number, request: Request) => Response | Promise<Response>) {
  const received: Received[] = []
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const body = await request.text()
      received.push({ body, headers: request.headers })
      return answer(received.length, request)
    },
  })
  return { url: `http://127.0.0.1:${server.port}/hook`, received, server }
}

/**
 * A webhook's delivery history once it holds `count` entries: the receiver has a request before its answer is
 * back at the sender and recorded, so counting what the receiver got says nothing yet about the history.
 */
const historyOf = (webhooks: Webhooks, webhookId: string, count: number) =>
  waitFor(async () => {
    const history = await webhooks.deliveries(BOT, webhookId)
    return history.length === count && history
  })

const logs: string[] = []
const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function setUp(options: { maxAttempts?: number; queueMax?: number; disableAfterMs?: number } = {}) {
  const hub = createEventHub()
  const driven = drivenClock()
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk))
      done()
    },
  })
  const webhooks = createWebhooks({
    feed: hub,
    store: createMemoryWebhookStore(),
    log: createLogger('debug', sink),
    clock: driven.clock,
    random: () => 0.5,
    settings: {
      timeoutMs: 5_000,
      maxAttempts: options.maxAttempts ?? 8,
      disableAfterMs: options.disableAfterMs ?? DAY_MS,
      retryBaseMs: 1_000,
      retryMaxMs: 300_000,
      queueMax: options.queueMax ?? 1_000,
      allowPrivate: true,
      maxPerBot: 20,
      userAgent: 'Botvisor-Webhooks/test',
    },
  })
  cleanups.push(() => webhooks.stop())
  return { hub, webhooks, ...driven }
}

const publish = (hub: EventHub, type: EventType, data: Record<string, unknown> = {}) =>
  hub.publish({ type, botId: BOT, at: new Date().toISOString(), data })

async function register(webhooks: Webhooks, url: string, events: EventType[] = ['messageCreate']) {
  return webhooks.register(BOT, { url, events })
}

function expectSigned(got: Received, secret: string) {
  const timestamp = got.headers.get('botvisor-timestamp') ?? ''
  const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.${got.body}`).digest('hex')}`
  const signature = got.headers.get('botvisor-signature') ?? ''
  expect(signature.length).toBe(expected.length)
  expect(timingSafeEqual(Buffer.from(signature), Buffer.from(expected))).toBe(true)
}

describe('webhook delivery', () => {
  test('a published event arrives as its JSON bytes, signed with the secret, with its id and a timestamp', async () => {
    const { hub, webhooks, clock } = setUp()
    const target = receiver(() => new Response(null, { status: 204 }))
    cleanups.push(() => target.server.stop(true))
    const { secret } = await register(webhooks, target.url, ['messageCreate'])
    publish(hub, 'typingStart') // not subscribed: never sent
    const sent = publish(hub, 'messageCreate', { content: 'hello' })
    await waitFor(() => target.received.length === 1)
    const [got] = target.received
    if (!got) throw new Error('nothing received')
    expect(got.body).toBe(sent.json)
    expect(JSON.parse(got.body)).toMatchObject({ id: 2, type: 'messageCreate', botId: BOT, data: { content: 'hello' } })
    expect(got.headers.get('content-type')).toBe('application/json')
    expect(got.headers.get('user-agent')).toBe('Botvisor-Webhooks/test')
    expect(got.headers.get('botvisor-event-id')).toBe('2')
    expect(got.headers.get('botvisor-timestamp')).toBe(String(Math.floor(clock.now() / 1000)))
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/)
    expectSigned(got, secret)
    // a signature made with another secret does not pass
    expect(() => expectSigned(got, `${secret}x`)).toThrow()
  })

  test('a receiver failing twice then succeeding gets each event once, in order, after backoff with jitter', async () => {
    const { hub, webhooks, waits } = setUp()
    const target = receiver((n) => new Response(null, { status: n <= 2 ? 503 : 200 }))
    cleanups.push(() => target.server.stop(true))
    const { webhook } = await register(webhooks, target.url)
    const ids = [1, 2, 3, 4].map(() => publish(hub, 'messageCreate').event.id)
    await waitFor(() => target.received.length === 6)
    const bodies = target.received.map((got) => JSON.parse(got.body).id)
    // the first event tried three times, then each of the others once, in id order
    expect(bodies).toEqual([ids[0], ids[0], ids[0], ids[1], ids[2], ids[3]])
    const delivered = target.received.slice(2).map((got) => JSON.parse(got.body).id)
    expect(delivered).toEqual(ids)
    // base 1 s doubling, jitter at the midpoint (random 0.5): 3/4 of 1 s, then of 2 s
    expect(waits).toEqual([750, 1500])
    const history = await historyOf(webhooks, webhook.webhookId, 6)
    expect(history.map((entry) => [entry.eventId, entry.attempt, entry.outcome, entry.statusCode]).reverse()).toEqual([
      [1, 1, 'retrying', 503],
      [1, 2, 'retrying', 503],
      [1, 3, 'delivered', 200],
      [2, 1, 'delivered', 200],
      [3, 1, 'delivered', 200],
      [4, 1, 'delivered', 200],
    ])
    expect((await webhooks.list(BOT))[0]?.failingSince).toBeNull()
  })

  test('a 4xx other than 408 and 429 is final: one attempt, and the next event goes on', async () => {
    const { hub, webhooks } = setUp()
    const target = receiver((n) => new Response(null, { status: n === 1 ? 410 : 200 }))
    cleanups.push(() => target.server.stop(true))
    const { webhook } = await register(webhooks, target.url)
    publish(hub, 'messageCreate')
    publish(hub, 'messageCreate')
    await waitFor(() => target.received.length === 2)
    const history = (await historyOf(webhooks, webhook.webhookId, 2)).reverse()
    expect(history.map((entry) => [entry.eventId, entry.outcome, entry.statusCode])).toEqual([
      [1, 'failed', 410],
      [2, 'delivered', 200],
    ])
  })

  test("429's Retry-After sets the wait before the retry", async () => {
    const { hub, webhooks, waits } = setUp()
    const target = receiver((n) =>
      n === 1 ? new Response(null, { status: 429, headers: { 'Retry-After': '42' } }) : new Response('ok'),
    )
    cleanups.push(() => target.server.stop(true))
    await register(webhooks, target.url)
    publish(hub, 'messageCreate')
    await waitFor(() => target.received.length === 2)
    expect(waits).toEqual([42_000])
  })

  test('a redirect is not followed: the 3xx is a final failure and its target gets nothing', async () => {
    const { hub, webhooks } = setUp()
    const elsewhere = receiver(() => new Response('ok'))
    const target = receiver(() => new Response(null, { status: 307, headers: { Location: elsewhere.url } }))
    cleanups.push(
      () => target.server.stop(true),
      () => elsewhere.server.stop(true),
    )
    const { webhook } = await register(webhooks, target.url)
    publish(hub, 'messageCreate')
    const [entry] = await waitFor(async () => {
      const history = await webhooks.deliveries(BOT, webhook.webhookId)
      return history.length > 0 && history
    })
    expect(entry).toMatchObject({ outcome: 'failed', statusCode: 307, attempt: 1 })
    expect(entry?.error).toContain('redirects are not followed')
    expect(target.received).toHaveLength(1)
    expect(elsewhere.received).toHaveLength(0)
  })

  test('a receiver that never answers holds up only its own webhook', async () => {
    const { hub, webhooks } = setUp()
    const stuck = receiver(() => new Promise<Response>(() => {}))
    const healthy = receiver(() => new Response('ok'))
    cleanups.push(
      () => stuck.server.stop(true),
      () => healthy.server.stop(true),
    )
    const slow = await register(webhooks, stuck.url)
    await register(webhooks, healthy.url)
    for (let i = 0; i < 5; i++) publish(hub, 'messageCreate')
    await waitFor(() => healthy.received.length === 5)
    // the stuck one is still on its first event, the rest wait behind it in order
    expect(stuck.received).toHaveLength(1)
    expect((await webhooks.list(BOT)).find((hook) => hook.webhookId === slow.webhook.webhookId)?.queued).toBe(5)
  })

  test('a receiver refusing connections is retried, and does not hold up another webhook', async () => {
    const { hub, webhooks } = setUp({ maxAttempts: 3 })
    const gone = receiver(() => new Response('ok'))
    const deadUrl = gone.url
    gone.server.stop(true) // nothing listens on its port any more: connection refused
    const healthy = receiver(() => new Response('ok'))
    cleanups.push(() => healthy.server.stop(true))
    const dead = await register(webhooks, deadUrl)
    await register(webhooks, healthy.url)
    publish(hub, 'messageCreate')
    await waitFor(() => healthy.received.length === 1)
    const history = await historyOf(webhooks, dead.webhook.webhookId, 3)
    expect(history.map((entry) => entry.outcome)).toEqual(['failed', 'retrying', 'retrying'])
    expect(history.every((entry) => entry.statusCode === null && entry.error?.includes('ECONNREFUSED'))).toBe(true)
  })

  test('a webhook failing for 24 h straight is disabled, says why, and drops what waited', async () => {
    const { hub, webhooks, advance } = setUp({ maxAttempts: 2 })
    const target = receiver(() => new Response(null, { status: 500 }))
    cleanups.push(() => target.server.stop(true))
    const { webhook } = await register(webhooks, target.url)
    publish(hub, 'messageCreate')
    await waitFor(async () => (await webhooks.deliveries(BOT, webhook.webhookId)).length === 2)
    expect((await webhooks.list(BOT))[0]).toMatchObject({ status: 'active', failingSince: expect.any(Number) })
    // a day later, still failing: the next failure disables it
    advance(DAY_MS)
    publish(hub, 'messageCreate')
    publish(hub, 'messageCreate')
    const [listed] = await waitFor(async () => {
      const hooks = await webhooks.list(BOT)
      return hooks[0]?.status === 'disabled' && hooks
    })
    expect(listed?.disabledReason).toContain('every delivery failed since')
    expect(listed?.disabledReason).toContain('HTTP 500')
    const history = await webhooks.deliveries(BOT, webhook.webhookId)
    expect(history[0]).toMatchObject({ eventId: 3, outcome: 'dropped', attempt: 0, error: 'webhook disabled' })
    // the failure that ended the 24 h is the event's last attempt
    expect(history[1]).toMatchObject({ eventId: 2, attempt: 1, outcome: 'failed', statusCode: 500 })
    // disabled: new events are not even queued
    publish(hub, 'messageCreate')
    expect(webhooks.queued()).toBe(0)
    expect(listed?.queued).toBe(0)
  })

  test('a success within the 24 h starts the count over', async () => {
    const { hub, webhooks, advance } = setUp({ maxAttempts: 1 })
    let failing = true
    const target = receiver(() => new Response(null, { status: failing ? 500 : 200 }))
    cleanups.push(() => target.server.stop(true))
    await register(webhooks, target.url)
    publish(hub, 'messageCreate')
    await waitFor(() => target.received.length === 1)
    advance(DAY_MS - 1)
    failing = false
    publish(hub, 'messageCreate')
    await waitFor(async () => (await webhooks.list(BOT))[0]?.failingSince === null)
    failing = true
    advance(DAY_MS - 1)
    publish(hub, 'messageCreate')
    await waitFor(() => target.received.length === 3)
    await waitFor(async () => (await webhooks.list(BOT))[0]?.failingSince !== null)
    expect((await webhooks.list(BOT))[0]?.status).toBe('active')
  })

  test('past the queue bound new events are dropped, recorded and never silently lost', async () => {
    const { hub, webhooks } = setUp({ queueMax: 2 })
    const stuck = receiver(() => new Promise<Response>(() => {}))
    cleanups.push(() => stuck.server.stop(true))
    const { webhook } = await register(webhooks, stuck.url)
    for (let i = 0; i < 5; i++) publish(hub, 'messageCreate')
    // one in flight + two waiting; events 4 and 5 dropped
    expect(webhooks.queued()).toBe(3)
    const history = await historyOf(webhooks, webhook.webhookId, 2)
    expect(history.map((entry) => [entry.eventId, entry.outcome])).toEqual([
      [5, 'dropped'],
      [4, 'dropped'],
    ])
    expect(history[0]?.error).toContain('2 events already waiting')
    expect(logs.some((line) => line.includes('webhook queue full'))).toBe(true)
  })

  test('a deleted webhook gets nothing more, and its secret never reaches a log line', async () => {
    const { hub, webhooks } = setUp()
    const target = receiver(() => new Response(null, { status: 410 }))
    cleanups.push(() => target.server.stop(true))
    const { webhook, secret } = await register(webhooks, target.url)
    publish(hub, 'messageCreate')
    await waitFor(async () => (await webhooks.deliveries(BOT, webhook.webhookId)).length === 1)
    await webhooks.remove(BOT, webhook.webhookId)
    publish(hub, 'messageCreate')
    expect(webhooks.queued()).toBe(0)
    expect(target.received).toHaveLength(1)
    await expect(webhooks.deliveries(BOT, webhook.webhookId)).rejects.toMatchObject({ status: 404 })
    expect(logs.length).toBeGreaterThan(0)
    expect(logs.some((line) => line.includes(secret))).toBe(false)
  })
})
