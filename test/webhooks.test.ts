import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { startStack, waitFor, type Stack } from './support/stack.ts'

type Received = { body: string; headers: Headers }

let stack: Stack
let alpha: { sessionId: string; botId: string }
let alphaAgain: string
let beta: { sessionId: string; botId: string }
const received: Received[] = []
let receiverServer: ReturnType<typeof Bun.serve>
let receiverUrl: string

beforeAll(async () => {
  receiverServer = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      received.push({ body: await request.text(), headers: request.headers })
      return new Response(null, { status: 204 })
    },
  })
  receiverUrl = `http://127.0.0.1:${receiverServer.port}/hook`
  stack = await startStack({ ALLOW_PRIVATE_WEBHOOKS: '1', MAX_WEBHOOKS_PER_BOT: '3' })
  const a = await stack.login(stack.discord.tokens.alpha)
  alpha = { sessionId: a.sessionId, botId: a.reply.json.bot.id }
  alphaAgain = (await stack.login(stack.discord.tokens.alpha)).sessionId
  const b = await stack.login(stack.discord.tokens.beta)
  beta = { sessionId: b.sessionId, botId: b.reply.json.bot.id }
})
afterAll(async () => {
  await stack.stop()
  receiverServer.stop(true)
})

const create = (sessionId: string, body: unknown) => stack.request('POST', '/api/webhooks', { sessionId, body })
const verify = (got: Received, secret: string) => {
  const timestamp = got.headers.get('botvisor-timestamp')
  const mac = createHmac('sha256', secret).update(`${timestamp}.${got.body}`).digest('hex')
  return got.headers.get('botvisor-signature') === `v1=${mac}`
}

describe('webhooks over HTTP', () => {
  test('POST /api/webhooks answers 201 with the webhook and a generated secret; the listing never shows it', async () => {
    const res = await create(alpha.sessionId, { url: receiverUrl, events: ['messageCreate', 'guildMemberAdd'] })
    expect(res.status).toBe(201)
    // a copy: Bun 1.4's toMatchObject writes its asymmetric matchers into the object it checks
    expect(structuredClone(res.json)).toMatchObject({
      id: expect.stringMatching(/^wh_/),
      url: receiverUrl,
      events: ['messageCreate', 'guildMemberAdd'],
      status: 'active',
      disabledReason: null,
      failingSince: null,
      queued: 0,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    })
    const listed = await stack.get('/api/webhooks', alpha.sessionId)
    expect(listed.status).toBe(200)
    const mine = listed.json.find((hook: { id: string }) => hook.id === res.json.id)
    expect(mine).toMatchObject({ url: receiverUrl, status: 'active' })
    expect(mine.secret).toBeUndefined()
    expect(listed.text).not.toContain(res.json.secret)
    await stack.request('DELETE', `/api/webhooks/${res.json.id}`, { sessionId: alpha.sessionId })
  })

  test("an event the bot publishes reaches the receiver as the event's JSON, with a signature that verifies", async () => {
    const secret = 'my-own-secret-of-24-chars'
    const res = await create(alpha.sessionId, { url: receiverUrl, events: ['messageCreate'], secret })
    expect(res.status).toBe(201)
    expect(res.json.secret).toBe(secret)
    const before = received.length
    const published = stack.service.events.publish({
      type: 'messageCreate',
      botId: alpha.botId,
      channelId: '200000000000000001',
      at: new Date().toISOString(),
      data: { content: 'hi' },
    })
    // another bot's event never reaches this bot's webhook
    stack.service.events.publish({ type: 'messageCreate', botId: beta.botId, at: new Date().toISOString(), data: {} })
    await waitFor(() => received.length === before + 1)
    const got = received[before]
    if (!got) throw new Error('nothing received')
    expect(got.body).toBe(published.json)
    expect(got.headers.get('botvisor-event-id')).toBe(String(published.event.id))
    expect(verify(got, secret)).toBe(true)
    const deliveries = await waitFor(async () => {
      const reply = await stack.get(`/api/webhooks/${res.json.id}/deliveries`, alpha.sessionId)
      return reply.json.length === 1 && reply
    })
    expect(deliveries.json[0]).toMatchObject({
      eventId: published.event.id,
      eventType: 'messageCreate',
      attempt: 1,
      outcome: 'delivered',
      statusCode: 204,
      error: null,
    })
    await stack.request('DELETE', `/api/webhooks/${res.json.id}`, { sessionId: alpha.sessionId })
  })

  test('POST /api/webhooks/:id/test sends a signed ping with id 0, outside the bot’s event ids', async () => {
    const res = await create(alpha.sessionId, { url: receiverUrl, events: ['ready'] })
    const lastId = stack.service.events.lastId(alpha.botId)
    const before = received.length
    const tested = await stack.post(`/api/webhooks/${res.json.id}/test`, undefined, alpha.sessionId)
    expect(tested.status).toBe(200)
    expect(tested.json).toMatchObject({ eventId: 0, eventType: 'ping', outcome: 'delivered', statusCode: 204 })
    const got = received[before]
    if (!got) throw new Error('no ping received')
    expect(JSON.parse(got.body)).toMatchObject({
      id: 0,
      type: 'ping',
      botId: alpha.botId,
      data: { webhookId: res.json.id },
    })
    expect(verify(got, res.json.secret)).toBe(true)
    expect(stack.service.events.lastId(alpha.botId)).toBe(lastId)
    await stack.request('DELETE', `/api/webhooks/${res.json.id}`, { sessionId: alpha.sessionId })
  })

  test("every session of the bot sees its webhooks; another bot's session can neither see nor delete them", async () => {
    const res = await create(alpha.sessionId, { url: receiverUrl, events: ['messageCreate'] })
    const id = res.json.id
    const fromOtherSession = await stack.get('/api/webhooks', alphaAgain)
    expect(fromOtherSession.json.map((hook: { id: string }) => hook.id)).toContain(id)
    const fromBeta = await stack.get('/api/webhooks', beta.sessionId)
    expect(fromBeta.status).toBe(200)
    expect(fromBeta.json.map((hook: { id: string }) => hook.id)).not.toContain(id)
    for (const [method, path] of [
      ['GET', `/api/webhooks/${id}/deliveries`],
      ['POST', `/api/webhooks/${id}/test`],
      ['DELETE', `/api/webhooks/${id}`],
    ] as const) {
      const reply = await stack.request(method, path, { sessionId: beta.sessionId })
      expect(reply.status).toBe(404)
      expect(reply.json.code).toBe('not_found')
    }
    const deleted = await stack.request('DELETE', `/api/webhooks/${id}`, { sessionId: alphaAgain })
    expect(deleted.status).toBe(204)
    expect((await stack.get('/api/webhooks', alpha.sessionId)).json).toEqual([])
    expect((await stack.request('DELETE', `/api/webhooks/${id}`, { sessionId: alpha.sessionId })).status).toBe(404)
  })

  test('a bot has at most MAX_WEBHOOKS_PER_BOT webhooks: one more is 409 capacity_reached', async () => {
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const res = await create(beta.sessionId, { url: `${receiverUrl}?n=${i}`, events: ['typingStart'] })
      expect(res.status).toBe(201)
      ids.push(res.json.id)
    }
    const over = await create(beta.sessionId, { url: receiverUrl, events: ['typingStart'] })
    expect(over.status).toBe(409)
    expect(over.json).toMatchObject({ code: 'capacity_reached' })
    expect(over.json.error).toContain('MAX_WEBHOOKS_PER_BOT')
    // another bot's count is its own
    const other = await create(alpha.sessionId, { url: receiverUrl, events: ['typingStart'] })
    expect(other.status).toBe(201)
    for (const id of ids) await stack.request('DELETE', `/api/webhooks/${id}`, { sessionId: beta.sessionId })
    await stack.request('DELETE', `/api/webhooks/${other.json.id}`, { sessionId: alpha.sessionId })
  })

  test.each([
    [{ events: ['messageCreate'] }, 'url'],
    [{ url: 'ftp://example.com/x', events: ['messageCreate'] }, 'url'],
    [{ url: 'not a url', events: ['messageCreate'] }, 'url'],
    [{ url: `http://user:pw@127.0.0.1:1/hook`, events: ['messageCreate'] }, 'url'],
    [{ url: 'https://example.com/hook' }, 'events'],
    [{ url: 'https://example.com/hook', events: [] }, 'events'],
    [{ url: 'https://example.com/hook', events: ['messageCreate', 'nope'] }, 'events[1]'],
    [{ url: 'https://example.com/hook', events: ['messageCreate', 'messageCreate'] }, 'events'],
    [{ url: 'https://example.com/hook', events: ['messageCreate'], secret: 'short' }, 'secret'],
    [{ url: 'https://example.com/hook', events: ['messageCreate'], secret: 'x'.repeat(257) }, 'secret'],
  ])('%j is refused with 400 naming %s', async (body, field) => {
    const res = await create(alpha.sessionId, body)
    expect(res.status).toBe(400)
    expect(res.json.code).toBe('bad_request')
    expect(res.json.error.startsWith(`${field}:`)).toBe(true)
  })

  test('without a session: 401', async () => {
    const res = await stack.get('/api/webhooks')
    expect(res.status).toBe(401)
  })

  test('metrics count deliveries by outcome, their latency, and what is queued', async () => {
    const res = await create(alpha.sessionId, { url: receiverUrl, events: ['guildCreate'] })
    const before = received.length
    stack.service.events.publish({ type: 'guildCreate', botId: alpha.botId, at: new Date().toISOString(), data: {} })
    await waitFor(() => received.length === before + 1)
    const metrics = await waitFor(async () => {
      const reply = await stack.request('GET', '/metrics', {
        headers: { authorization: `Bearer ${stack.service.adminToken}` },
      })
      return /botvisor_webhook_deliveries_total\{outcome="delivered"\} [1-9]/.test(reply.text) && reply
    })
    expect(metrics.text).toMatch(/botvisor_webhook_delivery_duration_seconds_count [1-9]/)
    expect(metrics.text).toContain('botvisor_webhook_queued_deliveries 0')
    await stack.request('DELETE', `/api/webhooks/${res.json.id}`, { sessionId: alpha.sessionId })
  })

  test('the secret appears only in the 201 that created the webhook: never in a listing, deliveries or a log line', async () => {
    const res = await create(alpha.sessionId, { url: receiverUrl, events: ['messageDelete'] })
    const { secret, id } = res.json
    const first = stack.bodies.length
    stack.service.events.publish({ type: 'messageDelete', botId: alpha.botId, at: new Date().toISOString(), data: {} })
    await waitFor(async () => (await stack.get(`/api/webhooks/${id}/deliveries`, alpha.sessionId)).json.length === 1)
    await stack.post(`/api/webhooks/${id}/test`, undefined, alpha.sessionId)
    await stack.get('/api/webhooks', alphaAgain)
    await stack.get(`/api/webhooks/${id}/deliveries`, alpha.sessionId)
    const later = stack.bodies.slice(first)
    expect(later.length).toBeGreaterThanOrEqual(4)
    expect(later.some((body) => body.includes(secret))).toBe(false)
    expect(stack.logs.some((line) => line.includes(id))).toBe(true)
    expect(stack.logs.some((line) => line.includes(secret))).toBe(false)
    await stack.request('DELETE', `/api/webhooks/${id}`, { sessionId: alpha.sessionId })
  })
})
