import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { loadConfig } from '../src/config.ts'
import type { Service } from '../src/service.ts'
import { expectDocumented } from './support/openapi-check.ts'
import { answeredSince, startBeside, startStack, type Stack } from './support/stack.ts'

// One fake Discord, two services on it: the stack's with the short path for sends on (the default), and one with
// FAST_SENDS=0, every send through the full app.
let stack: Stack
let slow: Service
let sessionId: string
let slowSessionId: string
beforeAll(async () => {
  // every error's detail line is written: the log test below compares them
  stack = await startStack({ LOG_REPEAT_INTERVAL_MS: '0' })
  sessionId = (await stack.login(stack.discord.tokens.alpha)).sessionId
  ;({ service: slow, sessionId: slowSessionId } = await startBeside(
    stack,
    { FAST_SENDS: '0', RPC_TIMEOUT_MS: '3000' },
    stack.discord.tokens.alpha,
  ))
})
afterAll(async () => {
  stack.discord.control.clearFaults()
  await slow.stop()
  await stack.stop()
})

const ids = () => stack.discord.world.ids
const BODY_LIMIT_BYTES = loadConfig({}).BODY_LIMIT_BYTES
type Send = {
  body: string | ReadableStream | Uint8Array<ArrayBuffer>
  headers?: Record<string, string>
  session?: string | null
  query?: string
}
/** A body of unknown length: it goes out chunked, without Content-Length. */
const chunked = (text: string) =>
  new ReadableStream({
    start(controller) {
      const bytes = new TextEncoder().encode(text)
      controller.enqueue(bytes.slice(0, 5))
      controller.enqueue(bytes.slice(5))
      controller.close()
    },
  })

/** Status, headers and body, with what differs between any two sends (the message's id and time) named instead. */
async function sendTo(service: { url: string }, session: string, send: Send) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...send.headers }
  if (send.session !== null) headers.authorization = send.session ?? session
  const res = await fetch(`${service.url}/api/messages${send.query ?? ''}`, {
    method: 'POST',
    headers,
    body: send.body,
  })
  const text = await res.text()
  await expectDocumented(service.url, 'POST', '/api/messages', res, text)
  const message = res.status === 201 ? (JSON.parse(text) as { id: string; timestamp: string }) : null
  const named = (value: string) =>
    (message ? value.replaceAll(message.id, '<id>').replaceAll(String(BigInt(message.id) + 1n), '<id+1>') : value)
      .replaceAll(message?.timestamp ?? '\0', '<time>')
      .replaceAll(service.url, '<origin>')
  return {
    status: res.status,
    text: named(text),
    headers: [...res.headers.entries()]
      .filter(([name]) => !['date', 'content-length'].includes(name))
      .map(([name, value]) => [name, named(value)])
      .sort(),
  }
}
const json = (body: unknown) => ({ body: JSON.stringify(body) })
const answeredBy = (before: number) => answeredSince(stack, before)

describe('the short path answers ordinary sends, exactly as the full app would', () => {
  test('an ordinary send is the short path’s; with an Idempotency-Key, a chunked body or a query it is the app’s', async () => {
    const channelId = ids().smallGeneralChannel
    const ordinary = json({ channelId, content: 'short path' })
    const viaApp: Send[] = [
      { ...json({ channelId, content: 'with a key' }), headers: { 'idempotency-key': 'fast-sends-1' } },
      { body: chunked(JSON.stringify({ channelId, content: 'chunked' })) },
      { ...json({ channelId, content: 'with a query' }), query: '?x=1' },
    ]
    const before = stack.logs.length
    expect((await sendTo(stack.service, sessionId, ordinary)).status).toBe(201)
    for (const send of viaApp) expect((await sendTo(stack.service, sessionId, send)).status).toBe(201)
    expect(answeredBy(before)).toEqual(['short', 'app', 'app', 'app'])
    const sent = stack.discord.world.messagesOf(channelId).map((message) => message.content)
    expect(sent).toEqual(expect.arrayContaining(['short path', 'with a key', 'chunked', 'with a query']))
  })

  test('a body that is not a valid send goes to the app, which names what is wrong; Discord is not called', async () => {
    const before = stack.logs.length
    const posts = () => stack.discord.counters().rest.alpha?.['POST /channels/:id/messages'] ?? 0
    const sentBefore = posts()
    const bad: Send[] = [{ body: '{"channelId": ' }, json({}), json({ channelId: ids().smallGeneralChannel })]
    const statuses = []
    for (const send of bad) statuses.push((await sendTo(stack.service, sessionId, send)).status)
    expect(statuses).toEqual([400, 400, 400])
    expect(answeredBy(before)).toEqual(['app', 'app', 'app'])
    expect(posts()).toBe(sentBefore)
  })

  test('sends give the same statuses, bodies and headers with FAST_SENDS on and off', async () => {
    const { smallGeneralChannel, readOnlyChannel, hiddenChannel } = ids()
    const sends: Send[] = [
      json({ channelId: smallGeneralChannel, content: 'hello' }),
      json({ channelId: smallGeneralChannel, embeds: [{ title: 'an embed' }], allowedMentions: { parse: [] } }),
      json({ channelId: smallGeneralChannel, content: 'é ✓ 🎉' }),
      json({ channelId: readOnlyChannel, content: 'not allowed here' }),
      json({ channelId: hiddenChannel, content: 'cannot see it' }),
      json({ channelId: '1000000000000000001', content: 'no such channel' }),
      json({ channelId: smallGeneralChannel, content: 'a reply', replyTo: '1000000000000000001' }),
      json({ channelId: smallGeneralChannel, content: 'x'.repeat(2001) }),
      json({ channelId: smallGeneralChannel, content: '' }),
      json({ channelId: 'abc', content: 'hi' }),
      json({ channelId: smallGeneralChannel, content: 'hi', extra: true }),
      json([]),
      { body: 'not json' },
      { body: new Uint8Array([0x7b, 0xff, 0x7d]) }, // not UTF-8
      { ...json({ channelId: smallGeneralChannel, content: 'hi' }), headers: { 'content-type': 'text/plain' } },
      json({ channelId: smallGeneralChannel, content: 'x'.repeat(BODY_LIMIT_BYTES) }),
      { ...json({ channelId: smallGeneralChannel, content: 'no session' }), session: null },
      { ...json({ channelId: smallGeneralChannel, content: 'unknown session' }), session: 'x'.repeat(32) },
    ]
    for (const send of sends) {
      const [fast, full] = [await sendTo(stack.service, sessionId, send), await sendTo(slow, slowSessionId, send)]
      expect({ send: send.body.toString().slice(0, 80), ...fast }).toEqual({
        send: send.body.toString().slice(0, 80),
        ...full,
      })
    }
  })

  test('what the send meets at Discord is answered alike: a 5xx, no answer in time, a rate limit', async () => {
    const { smallGeneralChannel, generalChannel } = ids()
    const both = (channelId: string) => {
      const send = json({ channelId, content: 'Discord has trouble' })
      return Promise.all([sendTo(stack.service, sessionId, send), sendTo(slow, slowSessionId, send)])
    }
    const route = 'POST /channels/:id/messages'
    try {
      stack.discord.control.failRest({ bot: 'alpha', route, status: 502 })
      const [fastBroken, fullBroken] = await both(smallGeneralChannel)
      expect(fastBroken.status).toBe(502)
      expect(fastBroken).toEqual(fullBroken)
      stack.discord.control.clearFaults()

      // Discord never answers: past the worker's deadline each side says the send may or may not have happened
      stack.discord.control.failRest({ bot: 'alpha', route, hang: true })
      const [fastUnknown, fullUnknown] = await both(smallGeneralChannel)
      expect(fastUnknown.status).toBe(504)
      expect(JSON.parse(fastUnknown.text).code).toBe('outcome_unknown')
      expect(fastUnknown).toEqual(fullUnknown)
      stack.discord.control.clearFaults()

      // last, and in a channel no other test sends to: discord.js then holds this channel's bucket for a minute
      stack.discord.control.exhaustBucket({ bot: 'alpha', route, retryAfterMs: 60_000 })
      const [fastLimited, fullLimited] = await both(generalChannel)
      expect(fastLimited.status).toBe(429)
      // Retry-After counts down between the two answers: compare the rest
      const withoutRetryAfter = (headers: string[][]) => headers.filter(([name]) => name !== 'retry-after')
      expect({ ...fastLimited, headers: withoutRetryAfter(fastLimited.headers) }).toEqual({
        ...fullLimited,
        headers: withoutRetryAfter(fullLimited.headers),
      })
    } finally {
      stack.discord.control.clearFaults()
    }
  })

  test('an error the send meets is logged and counted as the app does it', async () => {
    const before = stack.logs.length
    const unknownChannel = { channelId: '1000000000000000001', content: 'nowhere' }
    expect((await sendTo(stack.service, sessionId, json(unknownChannel))).status).toBe(404)
    const readOnly = { channelId: ids().readOnlyChannel, content: 'not here' }
    const keyed = { ...json(readOnly), headers: { 'idempotency-key': 'fast-sends-logs' } }
    expect((await sendTo(stack.service, sessionId, keyed)).status).toBe(403)
    const lines = stack.logs.slice(before).map((line) => JSON.parse(line))
    const requests = lines.filter((line) => line.msg === 'request')
    expect(requests.map((line) => line.via)).toEqual(['short', 'app'])
    const keys = (line: Record<string, unknown>) =>
      Object.keys(line)
        .filter((key) => key !== 'time')
        .sort()
    expect(keys(requests[0])).toEqual(keys(requests[1]))
    // the detail line of each error: the same fields, whichever path answered
    const details = lines.filter((line) => line.route === '/api/messages' && line.code)
    expect(details.map((line) => [line.status, line.code, line.msg])).toEqual([
      [404, 'not_found', 'Unknown channel'],
      [403, 'forbidden', expect.any(String)],
    ])
    expect(keys(details[0])).toEqual(keys(details[1]))
    expect(details[0]).toMatchObject({ session: `${sessionId.slice(0, 6)}…` })
    const metrics = await stack.request('GET', '/metrics', {
      headers: { authorization: `Bearer ${stack.service.adminToken}` },
    })
    expect(metrics.text).toMatch(
      /botvisor_http_requests_total\{method="POST",route="\/api\/messages",status="404"\} [1-9]/,
    )
  })
})
