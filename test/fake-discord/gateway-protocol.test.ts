import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { GatewayIntentBits as I } from 'discord-api-types/v10'
import { startFakeDiscord, type FakeDiscord } from '../../fake-discord/index.ts'
import { waitFor } from './test-support.ts'

interface Frame {
  op: number
  t: string | null
  s: number | null
  d: any
}

let fake: FakeDiscord
let quick: FakeDiscord // a short heartbeat interval, for the missed-heartbeat test
const sockets: WebSocket[] = []

beforeAll(async () => {
  ;[fake, quick] = await Promise.all([startFakeDiscord({ port: 0 }), startFakeDiscord({ heartbeatIntervalMs: 100 })])
})
afterAll(async () => {
  for (const ws of sockets) ws.close()
  await Promise.all([fake.stop(), quick.stop()])
})

/** A raw gateway connection that records frames and the close event. */
async function connect(target = fake, query = '?v=10&encoding=json') {
  const ws = new WebSocket(`${target.gatewayUrl}${query}`)
  sockets.push(ws)
  const frames: Frame[] = []
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (event) => resolve({ code: event.code, reason: event.reason })
  })
  ws.onmessage = (event) => {
    expect(typeof event.data).toBe('string') // never compressed
    frames.push(JSON.parse(event.data as string))
  }
  await new Promise((resolve) => (ws.onopen = resolve))
  const send = (op: number, d: unknown) => ws.send(JSON.stringify({ op, d }))
  const next = (match: (frame: Frame) => boolean, what: string) => waitFor(() => frames.find(match), { what })
  const identify = (token = target.tokens.alpha, intents = I.Guilds | I.GuildMessages) =>
    send(2, { token, intents, properties: { os: 'linux', browser: 'test', device: 'test' } })
  return { ws, frames, closed, send, next, identify }
}

describe('gateway protocol', () => {
  test('HELLO comes first, heartbeats are acknowledged, even with compress=zlib-stream asked for', async () => {
    const conn = await connect(fake, '?v=10&encoding=json&compress=zlib-stream')
    const hello = await conn.next((f) => f.op === 10, 'HELLO')
    expect(hello.d.heartbeat_interval).toBe(41_250)
    expect(conn.frames[0]?.op).toBe(10)
    conn.send(1, null)
    await conn.next((f) => f.op === 11, 'HEARTBEAT_ACK')
  })

  test('READY then one GUILD_CREATE per guild, with increasing sequence numbers', async () => {
    const conn = await connect()
    conn.identify()
    const ready = await conn.next((f) => f.t === 'READY', 'READY')
    expect(ready.d).toMatchObject({
      v: 10,
      user: { id: fake.world.bots.alpha.user.id, bot: true },
      session_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      resume_gateway_url: fake.gatewayUrl,
      shard: [0, 1],
      application: { id: fake.world.bots.alpha.applicationId, flags: expect.any(Number) },
    })
    expect(ready.d.guilds).toContainEqual({ id: fake.world.ids.bigGuild, unavailable: true })
    await waitFor(() => conn.frames.filter((f) => f.t === 'GUILD_CREATE').length === 3)
    const dispatches = conn.frames.filter((f) => f.op === 0)
    expect(dispatches.map((f) => f.s)).toEqual([1, 2, 3, 4])
    const big = dispatches.find((f) => f.d.id === fake.world.ids.bigGuild)
    expect(big?.d).toMatchObject({ large: true, member_count: 1203, unavailable: false, joined_at: expect.any(String) })
    expect(big?.d.members).toHaveLength(1) // no Server Members intent: only the bot itself
  })

  test('no Guilds intent, no GUILD_CREATE', async () => {
    const conn = await connect()
    conn.identify(fake.tokens.beta, I.GuildMessages)
    await conn.next((f) => f.t === 'READY', 'READY')
    conn.send(1, null)
    await conn.next((f) => f.op === 11, 'HEARTBEAT_ACK') // anything queued before it has arrived by now
    expect(conn.frames.some((f) => f.t === 'GUILD_CREATE')).toBe(false)
  })

  test.each([
    [
      'a bad token',
      (c: Awaited<ReturnType<typeof connect>>) => c.identify(fake.invalidToken),
      4004,
      'Authentication failed.',
    ],
    [
      'unknown intents',
      (c: Awaited<ReturnType<typeof connect>>) => c.identify(fake.tokens.alpha, 1 << 30),
      4013,
      'Invalid intent(s).',
    ],
    [
      'privileged intents the app lacks',
      (c: Awaited<ReturnType<typeof connect>>) => c.identify(fake.tokens.gamma, I.Guilds | I.GuildMembers),
      4014,
      'Disallowed intent(s).',
    ],
    [
      'a payload before IDENTIFY',
      (c: Awaited<ReturnType<typeof connect>>) => c.send(8, { guild_id: '1' }),
      4003,
      'Not authenticated.',
    ],
    ['a frame that is not JSON', (c: Awaited<ReturnType<typeof connect>>) => c.ws.send('{oops'), 4002, 'Decode error.'],
  ])('%s closes with %#', async (_name, act, code, reason) => {
    const conn = await connect()
    act(conn)
    expect(await conn.closed).toEqual({ code, reason })
  })

  test('an unknown opcode after IDENTIFY closes 4001, a second IDENTIFY 4005', async () => {
    const unknown = await connect()
    unknown.identify()
    await unknown.next((f) => f.t === 'READY', 'READY')
    unknown.send(99, {})
    expect((await unknown.closed).code).toBe(4001)
    const twice = await connect()
    twice.identify()
    await twice.next((f) => f.t === 'READY', 'READY')
    twice.identify()
    expect((await twice.closed).code).toBe(4005)
  })

  test('a connection that stops heartbeating is closed with 4009', async () => {
    const conn = await connect(quick)
    await conn.next((f) => f.op === 10, 'HELLO')
    expect((await conn.closed).code).toBe(4009)
  })

  test('RESUME replays what was missed, then RESUMED; an unknown session gets op 9 false', async () => {
    const first = await connect()
    first.identify(fake.tokens.beta)
    const ready = await first.next((f) => f.t === 'READY', 'READY')
    await waitFor(() => first.frames.filter((f) => f.t === 'GUILD_CREATE').length === 2)
    const lastSeq = Math.max(...first.frames.map((f) => f.s ?? 0))
    fake.control.closeGateway('beta', 4000)
    await first.closed
    const missed = fake.control.postMessage({ channelId: fake.world.ids.smallGeneralChannel, content: 'missed' })

    const second = await connect()
    second.send(6, { token: fake.tokens.beta, session_id: ready.d.session_id, seq: lastSeq })
    const replayed = await second.next((f) => f.t === 'MESSAGE_CREATE', 'the replayed message')
    expect(replayed).toMatchObject({ s: lastSeq + 1, d: { id: missed.id, content: '' } }) // no Message Content intent
    expect(await second.next((f) => f.t === 'RESUMED', 'RESUMED')).toMatchObject({ s: lastSeq + 2 })

    const stranger = await connect()
    stranger.send(6, { token: fake.tokens.beta, session_id: 'f'.repeat(32), seq: 1 })
    expect(await stranger.next((f) => f.op === 9, 'INVALID_SESSION')).toMatchObject({ d: false })
  })

  test('REQUEST_GUILD_MEMBERS answers by user ids with not_found and the nonce', async () => {
    const conn = await connect()
    conn.identify(fake.tokens.alpha, I.Guilds | I.GuildMembers)
    await conn.next((f) => f.t === 'READY', 'READY')
    const unknownUser = '1100000000000000000'
    conn.send(8, {
      guild_id: fake.world.ids.bigGuild,
      user_ids: [fake.world.ids.humanUser, unknownUser],
      limit: 0,
      nonce: 'n1',
    })
    const chunk = await conn.next((f) => f.t === 'GUILD_MEMBERS_CHUNK', 'GUILD_MEMBERS_CHUNK')
    expect(chunk.d).toMatchObject({
      guild_id: fake.world.ids.bigGuild,
      chunk_index: 0,
      chunk_count: 1,
      nonce: 'n1',
      not_found: [unknownUser],
    })
    expect(chunk.d.members.map((m: { user: { id: string } }) => m.user.id)).toEqual([fake.world.ids.humanUser])
  })

  test('the whole member list is not sent without the Server Members intent', async () => {
    const conn = await connect()
    conn.identify(fake.tokens.alpha, I.Guilds)
    await conn.next((f) => f.t === 'READY', 'READY')
    conn.send(8, { guild_id: fake.world.ids.bigGuild, query: '', limit: 0, nonce: 'all' })
    conn.send(8, { guild_id: fake.world.ids.bigGuild, user_ids: [fake.world.ids.humanUser], nonce: 'one' })
    const chunk = await conn.next((f) => f.t === 'GUILD_MEMBERS_CHUNK', 'GUILD_MEMBERS_CHUNK')
    expect(chunk.d.nonce).toBe('one') // frames are ordered: the request for everyone got nothing
  })
})
