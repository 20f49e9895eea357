import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { openSse, type SseReader } from './support/sse.ts'
import { readMetric } from './support/metrics.ts'
import { startStack, waitFor, type Stack } from './support/stack.ts'

let stack: Stack
let soloSession: string
const readers: SseReader[] = []
const sse = async (path: string, sessionId = soloSession, headers: Record<string, string> = {}) => {
  const reader = await openSse(stack.url, path, sessionId, headers)
  readers.push(reader)
  return reader
}

beforeAll(async () => {
  stack = await startStack({ SSE_KEEPALIVE_MS: '50', METRICS_PUBLIC: '1' })
  soloSession = (await stack.login(stack.discord.tokens.solo)).sessionId
})
afterAll(async () => {
  for (const reader of readers) reader.close()
  await stack.stop()
})

const post = (content: string, channelId = stack.discord.world.ids.soloGeneralChannel) =>
  stack.discord.control.postMessage({ channelId, content })
const contents = (reader: SseReader) => reader.of('messageCreate').map((frame) => frame.data.data.content as string)

describe('GET /api/events', () => {
  test("a fake user's message arrives as messageCreate in the event shape, with the SSE id the event's id", async () => {
    const reader = await sse('/api/events')
    expect(reader.status).toBe(200)
    expect(reader.headers.get('content-type')).toStartWith('text/event-stream')
    const sent = post('hello from a human')
    const frame = await reader.until((r) => r.of('messageCreate').find((f) => f.data.data.id === sent.id))
    const bot = stack.discord.world.bots.solo
    expect(frame.data).toMatchObject({
      type: 'messageCreate',
      botId: bot.user.id,
      guildId: stack.discord.world.ids.soloGuild,
      channelId: stack.discord.world.ids.soloGeneralChannel,
      data: {
        id: sent.id,
        content: 'hello from a human',
        author: { id: stack.discord.world.ids.humanUser, bot: false },
      },
    })
    expect(frame.id).toBe(String(frame.data.id))
    expect(Number.isNaN(Date.parse(frame.data.at))).toBe(false)
  })

  test('a message sent through POST /api/messages arrives as messageCreate', async () => {
    const reader = await sse('/api/events?types=messageCreate')
    const sent = await stack.post(
      '/api/messages',
      { channelId: stack.discord.world.ids.soloGeneralChannel, content: 'sent by the API' },
      soloSession,
    )
    expect(sent.status).toBe(201)
    const frame = await reader.until((r) => r.of('messageCreate').find((f) => f.data.data.id === sent.json.id))
    expect(frame.data.data).toMatchObject({ content: 'sent by the API', author: { bot: true } })
  })

  test('reconnecting with Last-Event-ID (header or lastEventId) loses nothing and repeats nothing', async () => {
    const first = await sse('/api/events?types=messageCreate')
    post('before-1')
    post('before-2')
    await first.until((r) => contents(r).includes('before-2'))
    const lastId = first.of('messageCreate').at(-1)?.id as string
    first.close()
    post('missed-1')
    post('missed-2')
    // the events arrive at the gateway on their own: wait until the hub has them, then reconnect
    const botId = stack.discord.world.bots.solo.user.id
    await waitFor(() => stack.service.events.lastId(botId) >= Number(lastId) + 2)
    const viaHeader = await sse('/api/events?types=messageCreate', soloSession, { 'last-event-id': lastId })
    const viaQuery = await sse(`/api/events?types=messageCreate&lastEventId=${lastId}`)
    post('after')
    for (const reader of [viaHeader, viaQuery]) {
      await reader.until((r) => contents(r).includes('after'))
      expect(contents(reader)).toEqual(['missed-1', 'missed-2', 'after'])
      expect(reader.of('gap')).toEqual([])
      const ids = reader.of('messageCreate').map((f) => Number(f.id))
      expect(ids[0]).toBeGreaterThan(Number(lastId))
      expect([...ids].sort((a, b) => a - b)).toEqual(ids)
    }
  })

  test('types, guildId and channelId filter what a stream gets', async () => {
    const ids = stack.discord.world.ids
    const guildReader = await sse(`/api/events?guildId=${ids.soloGuild}&types=messageCreate,messageDelete`)
    const otherChannel = await sse(`/api/events?channelId=${ids.generalChannel}`) // a channel of another guild
    const lifecycleOnly = await sse('/api/events?types=ready,resumed')
    const sent = post('filtered')
    await guildReader.until((r) => r.of('messageCreate').some((f) => f.data.data.id === sent.id))
    // a later event on the same bot reached every stream's filter: the earlier one was dropped, not delayed
    const marker = post('marker')
    await guildReader.until((r) => r.of('messageCreate').some((f) => f.data.data.id === marker.id))
    expect(otherChannel.frames).toEqual([])
    expect(lifecycleOnly.frames).toEqual([])
    expect(guildReader.frames.every((f) => f.data.guildId === ids.soloGuild)).toBe(true)
  })

  test("another bot's events never reach this bot's sessions", async () => {
    const beta = (await stack.login(stack.discord.tokens.beta)).sessionId
    const betaReader = await sse('/api/events', beta)
    const soloReader = await sse('/api/events')
    const forSolo = post('only for solo')
    const forBeta = stack.discord.control.postMessage({
      channelId: stack.discord.world.ids.smallGeneralChannel,
      content: 'only for beta',
    })
    await soloReader.until((r) => r.of('messageCreate').some((f) => f.data.data.id === forSolo.id))
    await betaReader.until((r) => r.of('messageCreate').some((f) => f.data.data.id === forBeta.id))
    const betaId = stack.discord.world.bots.beta.user.id
    expect(soloReader.frames.every((f) => f.data.botId !== betaId)).toBe(true)
    expect(soloReader.frames.some((f) => f.data.data?.id === forBeta.id)).toBe(false)
    expect(betaReader.frames.every((f) => f.data.botId === betaId)).toBe(true)
    expect(betaReader.frames.some((f) => f.data.data?.id === forSolo.id)).toBe(false)
  })

  test('a comment keeps the stream alive every SSE_KEEPALIVE_MS', async () => {
    const reader = await sse('/api/events')
    await reader.until((r) => r.comments.filter((c) => c === 'keep-alive').length >= 2)
  })

  test('a reader that disconnects leaves no listener behind', async () => {
    const botId = stack.discord.world.bots.solo.user.id
    for (const reader of readers) reader.close()
    await waitFor(() => stack.service.events.listenerCount(botId) === 0)
    const reader = await sse('/api/events')
    expect(stack.service.events.listenerCount(botId)).toBe(1)
    reader.close()
    await waitFor(() => stack.service.events.listenerCount(botId) === 0 && stack.service.eventStreams.count() === 0)
  })

  test("Discord's gateway dropping is told as reconnecting, then resumed", async () => {
    const reader = await sse('/api/events?types=reconnecting,resumed,ready')
    await reader.until((r) => r.comments.includes('connected'))
    stack.discord.control.closeGateway('solo', 4000)
    await reader.until((r) => r.of('resumed').length > 0)
    expect(reader.frames.map((f) => f.event)).toEqual(['reconnecting', 'resumed'])
    expect(reader.frames[0]?.data).toMatchObject({ type: 'reconnecting', data: { state: 'reconnecting' } })
    expect(reader.frames[0]?.data.guildId).toBeUndefined()
  })

  test('/metrics counts events forwarded by type and open SSE clients', async () => {
    const metric = (series: string) => readMetric(stack, series)
    const forwarded = await metric('botvisor_events_forwarded_total{type="messageCreate"}')
    const clients = await metric('botvisor_sse_clients')
    const reader = await sse('/api/events')
    expect(await metric('botvisor_sse_clients')).toBe(clients + 1)
    const sent = post('counted')
    await reader.until((r) => r.of('messageCreate').some((f) => f.data.data.id === sent.id))
    expect(await metric('botvisor_events_forwarded_total{type="messageCreate"}')).toBe(forwarded + 1)
    reader.close()
    await waitFor(async () => (await metric('botvisor_sse_clients')) === clients)
  })

  test('bad queries answer 400 naming the problem', async () => {
    const cases: [string, string][] = [
      ['/api/events?types=messageCreate,nope', "unknown event type 'nope'"],
      ['/api/events?guildId=12', 'guildId'],
      ['/api/events?channelId=abc', 'channelId'],
      ['/api/events?lastEventId=-1', 'lastEventId'],
    ]
    for (const [path, named] of cases) {
      const res = await stack.get(path, soloSession)
      expect(res.status).toBe(400)
      expect(res.json).toMatchObject({ code: 'bad_request' })
      expect(res.json.error).toContain(named)
    }
    const header = await stack.request('GET', '/api/events', {
      sessionId: soloSession,
      headers: { 'last-event-id': 'x1' },
    })
    expect(header.status).toBe(400)
    expect(header.json.error).toContain('last-event-id')
    expect((await stack.get('/api/events')).status).toBe(401)
  })

  test('logging out ends the session’s streams with session_ended; another session of the bot keeps its stream', async () => {
    const { sessionId: leaving } = await stack.login(stack.discord.tokens.solo)
    const ending = await sse('/api/events', leaving)
    const staying = await sse('/api/events')
    await ending.until((r) => r.comments.includes('connected'))
    expect((await stack.post('/api/auth/logout', {}, leaving)).status).toBe(200)
    await ending.until((r) => r.ended)
    expect(ending.frames.at(-1)).toMatchObject({ event: 'session_ended', data: { reason: 'logged_out' } })
    const sent = post('still streaming')
    await staying.until((r) => r.of('messageCreate').some((f) => f.data.data.id === sent.id))
    expect(staying.ended).toBe(false)
  })
})
