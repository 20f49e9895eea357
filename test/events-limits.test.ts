import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { botKeyOf } from '../src/pool/pool.ts'
import { openSse, type SseReader } from './support/sse.ts'
import { readMetric } from './support/metrics.ts'
import { startStack, waitFor, type Stack } from './support/stack.ts'

const ADMIN_TOKEN = 'test-admin-token-0123456789'
const LIMIT = 16_384

let stack: Stack
const readers: SseReader[] = []
beforeAll(async () => {
  stack = await startStack({
    EVENT_BUFFER_SIZE: '3',
    SSE_MAX_BUFFERED_BYTES: String(LIMIT),
    ADMIN_TOKEN,
    METRICS_PUBLIC: '1',
  })
})
afterAll(async () => {
  for (const reader of readers) reader.close()
  await stack.stop()
})
const sse = async (path: string, sessionId: string, headers: Record<string, string> = {}) => {
  const reader = await openSse(stack.url, path, sessionId, headers)
  readers.push(reader)
  return reader
}
const metric = (series: string) => readMetric(stack, series)

describe('live events past their limits', () => {
  test('a Last-Event-ID older than the buffer gets an event: gap naming the first id still held, then those events', async () => {
    const { sessionId } = await stack.login(stack.discord.tokens.solo)
    const botId = stack.discord.world.bots.solo.user.id
    const start = stack.service.events.lastId(botId)
    for (let i = 0; i < 6; i++) {
      stack.discord.control.postMessage({ channelId: stack.discord.world.ids.soloGeneralChannel, content: `g-${i}` })
    }
    await waitFor(() => stack.service.events.lastId(botId) >= start + 6)
    const last = stack.service.events.lastId(botId)
    const reader = await sse('/api/events', sessionId, { 'last-event-id': String(start) })
    await reader.until((r) => r.frames.length >= 4)
    expect(reader.frames[0]).toEqual({
      id: null,
      event: 'gap',
      data: { lastEventId: start, firstAvailableId: last - 2 },
    })
    expect(reader.frames.slice(1).map((f) => Number(f.id))).toEqual([last - 2, last - 1, last])
    expect(reader.frames.slice(1).map((f) => f.data.data.content)).toEqual(['g-3', 'g-4', 'g-5'])
  })

  test('a reader that never reads is cut off with event: overflow while another reader of the bot gets everything', async () => {
    const { sessionId } = await stack.login(stack.discord.tokens.solo)
    const botId = stack.discord.world.bots.solo.user.id
    for (const reader of readers) reader.close()
    await waitFor(() => stack.service.events.listenerCount(botId) === 0)
    const overflowsBefore = await metric('botvisor_sse_closed_total{why="overflow"}')
    const reading = await sse('/api/events?types=messageCreate', sessionId)
    // a client that reads nothing after its request: the kernel's buffers fill, then our queue for it
    let received = ''
    const stalled = await Bun.connect({
      hostname: '127.0.0.1',
      port: Number(new URL(stack.url).port),
      socket: {
        open(socket) {
          socket.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${sessionId}\r\n\r\n`)
          socket.pause()
        },
        data(_socket, chunk) {
          received += chunk.toString()
        },
      },
    })
    await waitFor(() => stack.service.events.listenerCount(botId) === 2)
    const big = 'x'.repeat(1_900)
    let sent = 0
    // posted in rounds the reading client keeps up with, until the stalled one is cut off
    while (stack.service.events.listenerCount(botId) === 2) {
      for (let i = 0; i < 100; i++) {
        stack.discord.control.postMessage({ channelId: stack.discord.world.ids.soloGeneralChannel, content: big })
      }
      sent += 100
      await reading.until((r) => r.frames.length >= sent, 30_000)
      if (sent > 20_000) throw new Error('the stalled reader was never cut off')
    }
    expect(await metric('botvisor_sse_closed_total{why="overflow"}')).toBe(overflowsBefore + 1)
    stack.discord.control.postMessage({ channelId: stack.discord.world.ids.soloGeneralChannel, content: 'after' })
    sent += 1
    await reading.until((r) => r.frames.length >= sent)
    expect(reading.frames.length).toBe(sent)
    expect(reading.ended).toBe(false)
    // the stalled client, reading at last, finds the stream ended by the overflow event
    stalled.resume()
    await waitFor(() => received.includes('event: overflow\n'), { timeoutMs: 30_000 })
    const tail = received.slice(received.lastIndexOf('event: overflow\n'))
    expect(tail).toContain(`"maxBufferedBytes":${LIMIT}`)
    stalled.end()
  }, 120_000)

  test('an admin removing the bot, and Discord revoking its token, end its streams with session_ended', async () => {
    const { sessionId: gammaSession } = await stack.login(stack.discord.tokens.gamma)
    const removed = await sse('/api/events', gammaSession)
    await removed.until((r) => r.comments.includes('connected'))
    const gamma = stack.service.pool.get(botKeyOf(stack.discord.tokens.gamma))
    const res = await stack.request('DELETE', `/admin/workers/${gamma?.workerId}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    expect(res.status).toBe(200)
    await removed.until((r) => r.ended)
    expect(removed.frames.at(-1)).toMatchObject({ event: 'session_ended', data: { reason: 'bot_removed' } })

    const { sessionId: betaSession } = await stack.login(stack.discord.tokens.beta)
    const revoked = await sse('/api/events', betaSession)
    await revoked.until((r) => r.comments.includes('connected'))
    stack.discord.control.revokeToken('beta')
    await revoked.until((r) => r.ended)
    expect(revoked.frames.at(-1)).toMatchObject({ event: 'session_ended', data: { reason: 'token_revoked' } })
  })
})

test('shutting down ends open streams with session_ended instead of waiting out the grace period for them', async () => {
  const own = await startStack({ SHUTDOWN_GRACE_MS: '600000' })
  let stopped = false
  try {
    const { sessionId } = await own.login(own.discord.tokens.solo)
    const reader = await openSse(own.url, '/api/events', sessionId)
    await reader.until((r) => r.comments.includes('connected'))
    const stopping = own.stop().then(() => {
      stopped = true
    })
    await reader.until((r) => r.ended)
    expect(reader.frames.at(-1)).toMatchObject({ event: 'session_ended', data: { reason: 'shutdown' } })
    await stopping // with the stream left open, stop(false) would wait the whole 10-minute grace
  } finally {
    if (!stopped) await own.stop()
  }
}, 60_000)
