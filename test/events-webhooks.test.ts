import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { openSse, type SseFrame, type SseReader } from './support/sse.ts'
import { crashAndWait, startStack, waitFor, type Stack } from './support/stack.ts'

/**
 * Live events end to end: the real service and the fake Discord, SSE readers and loopback webhook receivers side
 * by side on the same bot, so both paths are held to the same events, bytes and order.
 */

type Received = { body: string; headers: Headers; event: { id: number; type: string; data: { content?: string } } }
type Receiver = { url: string; received: Received[]; stop(): void }

/** A loopback webhook receiver answering from `answer(n)` (n: the request's number, from 1). */
function startReceiver(
  answer: (n: number) => Response | Promise<Response> = () => new Response(null, { status: 204 }),
) {
  const received: Received[] = []
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const body = await request.text()
      received.push({ body, headers: request.headers, event: JSON.parse(body) })
      return answer(received.length)
    },
  })
  const receiver: Receiver = { url: `http://127.0.0.1:${server.port}/hook`, received, stop: () => server.stop(true) }
  cleanups.push(() => receiver.stop())
  return receiver
}

let stack: Stack
let session: string
const cleanups: (() => unknown)[] = []

beforeAll(async () => {
  stack = await startStack({
    ALLOW_PRIVATE_WEBHOOKS: '1',
    // retries come 1–2 ms apart: a receiver failing twice is retried at once, no test sleeps through backoff
    WEBHOOK_RETRY_BASE_MS: '1',
    WEBHOOK_RETRY_MAX_MS: '2',
    // a receiver that never answers stays on its first attempt for the whole test
    WEBHOOK_TIMEOUT_MS: '120000',
    WORKER_TEST_HOOKS: '1',
    RESTART_BACKOFF_BASE_MS: '20',
    RESTART_BACKOFF_MAX_MS: '50',
  })
  session = (await stack.login(stack.discord.tokens.solo)).sessionId
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})
afterAll(() => stack.stop())

const channelId = () => stack.discord.world.ids.soloGeneralChannel
const post = (content: string) => stack.discord.control.postMessage({ channelId: channelId(), content })

async function sse(path = '/api/events?types=messageCreate'): Promise<SseReader> {
  const reader = await openSse(stack.url, path, session)
  expect(reader.status).toBe(200)
  cleanups.push(() => reader.close())
  return reader
}

async function register(receiver: Receiver) {
  const res = await stack.post('/api/webhooks', { url: receiver.url, events: ['messageCreate'] }, session)
  expect(res.status).toBe(201)
  const webhook = res.json as { id: string; secret: string }
  cleanups.push(() => stack.request('DELETE', `/api/webhooks/${webhook.id}`, { sessionId: session }))
  return webhook
}

/**
 * The frame's data line as sent: the hub serializes each event once, so re-serializing what was parsed gives the
 * same bytes back (key order kept); a webhook body built any other way would not match it.
 */
const bytesOf = (frame: SseFrame) => JSON.stringify(frame.data)

/** Messages of this test only (by a content prefix): another test's late events never count here. */
const tagged = (prefix: string) => ({
  sse: (reader: SseReader) =>
    reader.of('messageCreate').filter((frame) => String(frame.data.data.content).startsWith(prefix)),
  hook: (receiver: Receiver) => receiver.received.filter((got) => String(got.event.data.content).startsWith(prefix)),
})

/** Botvisor-Signature is v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>, checked as a receiver would. */
function expectSigned(got: Received, secret: string) {
  const timestamp = got.headers.get('botvisor-timestamp') ?? ''
  expect(timestamp).toMatch(/^\d+$/)
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${timestamp}.${got.body}`).digest('hex')}`)
  const given = Buffer.from(got.headers.get('botvisor-signature') ?? '')
  expect(given.length).toBe(expected.length)
  expect(timingSafeEqual(given, expected)).toBe(true)
}

test('a message sent through POST /api/messages arrives as messageCreate on SSE and at a webhook, signed', async () => {
  const reader = await sse()
  const receiver = startReceiver()
  const { secret } = await register(receiver)
  const sent = await stack.post('/api/messages', { channelId: channelId(), content: 'api-send: hello' }, session)
  expect(sent.status).toBe(201)
  const frame = await reader.until((r) => r.of('messageCreate').find((f) => f.data.data.id === sent.json.id))
  const got = await waitFor(() => receiver.received.find((r) => r.event.data.content === 'api-send: hello'))
  expect(got.body).toBe(bytesOf(frame))
  expect(got.event).toMatchObject({ type: 'messageCreate', data: { id: sent.json.id, content: 'api-send: hello' } })
  expect(got.headers.get('botvisor-event-id')).toBe(frame.id as string)
  expectSigned(got, secret)
  // a signature under another secret does not pass
  expect(() => expectSigned(got, `${secret}x`)).toThrow()
})

test("a fake user's message arrives on SSE and at the webhook: the same event id, the same bytes", async () => {
  const reader = await sse()
  const receiver = startReceiver()
  const { secret } = await register(receiver)
  const sent = post('human: hi there')
  const frame = await reader.until((r) => r.of('messageCreate').find((f) => f.data.data.id === sent.id))
  const got = await waitFor(() => receiver.received.find((r) => r.event.data.content === 'human: hi there'))
  expect(got.event.id).toBe(Number(frame.id))
  expect(got.headers.get('botvisor-event-id')).toBe(frame.id as string)
  expect(got.body).toBe(bytesOf(frame))
  expectSigned(got, secret)
})

test('a receiver that fails twice then succeeds gets each event once, in order, like SSE', async () => {
  const reader = await sse()
  const receiver = startReceiver((n) => new Response(null, { status: n <= 2 ? 503 : 204 }))
  const { id } = await register(receiver)
  const mine = tagged('flaky-')
  const posted = ['flaky-1', 'flaky-2', 'flaky-3', 'flaky-4'].map((content) => post(content).id)
  await reader.until((r) => mine.sse(r).length === posted.length)
  await waitFor(() => mine.hook(receiver).length === posted.length + 2)
  const sseIds = mine.sse(reader).map((frame) => Number(frame.id))
  // the first event three times (two 503s, then delivered), then each of the others once, in id order
  const attempts = mine.hook(receiver).map((got) => got.event.id)
  expect(attempts).toEqual([sseIds[0], sseIds[0], ...sseIds] as number[])
  // what was delivered (the answers after the two 503s): each message once, in the order posted
  const delivered = mine.hook(receiver).slice(2)
  expect(delivered.map((got) => (got.event.data as { id?: string }).id)).toEqual(posted)
  expect(delivered.map((got) => got.body)).toEqual(mine.sse(reader).map(bytesOf))
  // the receiver has the last request before its answer is back and recorded: wait for the history to hold it
  const history = await waitFor(async () => {
    const reply = await stack.get(`/api/webhooks/${id}/deliveries`, session)
    return reply.status === 200 && reply.json.length === posted.length + 2 && reply
  })
  const attemptsLog = (history.json as { eventId: number; attempt: number; outcome: string }[])
    .reverse()
    .map((entry) => `${entry.eventId}#${entry.attempt} ${entry.outcome}`)
  expect(attemptsLog).toEqual([
    `${sseIds[0]}#1 retrying`,
    `${sseIds[0]}#2 retrying`,
    `${sseIds[0]}#3 delivered`,
    ...sseIds.slice(1).map((eventId) => `${eventId}#1 delivered`),
  ])
})

test('a receiver that never answers delays neither SSE nor another webhook of the same bot', async () => {
  const reader = await sse()
  const dead = startReceiver(() => new Promise<Response>(() => {}))
  const healthy = startReceiver()
  const stuck = await register(dead) // registered first: its queue is the first the bot's events reach
  await register(healthy)
  const mine = tagged('dead-')
  const posted = Array.from({ length: 5 }, (_, i) => post(`dead-${i}`).content)
  await reader.until((r) => mine.sse(r).length === posted.length)
  await waitFor(() => mine.hook(healthy).length === posted.length)
  expect(mine.sse(reader).map((frame) => frame.data.data.content)).toEqual(posted)
  expect(mine.hook(healthy).map((got) => got.event.data.content)).toEqual(posted)
  expect(mine.hook(healthy).map((got) => got.body)).toEqual(mine.sse(reader).map(bytesOf))
  // the dead receiver still holds its first event; the rest wait behind it
  expect(dead.received).toHaveLength(1)
  expect(dead.received[0]?.event.data.content).toBe(posted[0])
  const listed = await stack.get('/api/webhooks', session)
  expect(listed.json.find((hook: { id: string }) => hook.id === stuck.id)?.queued).toBe(posted.length)
})

test('across worker crashes a webhook gets each message exactly once, in order, like SSE', async () => {
  const CRASHES = 3
  const reader = await sse()
  const receiver = startReceiver()
  await register(receiver)
  const mine = tagged('crash-')

  // the fake user posts continuously, one message per turn of the event loop, until told to stop
  const posted: string[] = []
  let posting = true
  const poster = (async () => {
    while (posting) {
      const content = `crash-${posted.length}`
      post(content)
      posted.push(content)
      await Bun.sleep(2)
    }
  })()
  cleanups.push(() => {
    posting = false
    return poster
  })

  for (let crash = 1; crash <= CRASHES; crash++) {
    const seen = mine.hook(receiver).length
    // messages flowing to both before each crash
    await reader.until((r) => mine.sse(r).length >= seen + 20)
    await waitFor(() => mine.hook(receiver).length >= seen + 20, { timeoutMs: 15_000 })
    await crashAndWait(stack, stack.discord.tokens.solo)
  }
  posting = false
  await poster
  // one more message through the whole path: nothing posted before it is still on its way
  post('crash-end')
  posted.push('crash-end')
  await reader.until((r) => mine.sse(r).some((frame) => frame.data.data.content === 'crash-end'), 30_000)
  await waitFor(() => mine.hook(receiver).some((got) => got.event.data.content === 'crash-end'), { timeoutMs: 30_000 })

  const viaSse = mine.sse(reader)
  const viaHook = mine.hook(receiver)
  expect(viaSse.map((frame) => frame.data.data.content)).toEqual(posted)
  expect(viaHook.map((got) => got.event.data.content)).toEqual(posted)
  expect(viaHook.map((got) => got.event.id)).toEqual(viaSse.map((frame) => Number(frame.id)))
  expect(viaHook.map((got) => got.body)).toEqual(viaSse.map(bytesOf))
}, 120_000)
