import { afterEach, describe, expect, test } from 'bun:test'
import { createMemoryStore } from '../src/store/memory.ts'
import type { Store } from '../src/store/types.ts'
import { botKeyOf } from '../src/pool/pool.ts'
import { sha256Hex } from '../src/store/hash.ts'
import { botToken, manualClock, openSqlite, sessionIdOf, tempDataDir } from './support/store-fixtures.ts'

const gateway = {
  sessionId: 'gw-session-1',
  sequence: 42,
  resumeUrl: 'wss://resume.example',
  shardId: 0,
  shardCount: 1,
}

type Backend = { name: string; open: (clock: ReturnType<typeof manualClock>) => Promise<Store> }
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

const BACKENDS: Backend[] = [
  { name: 'memory', open: async (clock) => createMemoryStore(clock.now) },
  {
    name: 'sqlite',
    async open(clock) {
      const data = tempDataDir()
      const store = await openSqlite(data.dir, { now: clock.now })
      cleanups.push(async () => {
        await store.close()
        data.remove()
      })
      return store
    },
  },
]

const session = (n: number, botKey: string, createdAt: number) => ({
  sessionId: sessionIdOf(n),
  botKey,
  workerId: `worker-${n}`,
  botId: '1000',
  createdAt,
})

describe.each(BACKENDS)('the $name store', ({ open }) => {
  test('a created session is found by its id, counted for its bot, listed by label only, and deleted once', async () => {
    const clock = manualClock()
    const { sessions } = await open(clock)
    const created = session(1, 'bot-a', clock.now())
    await sessions.create(created)
    expect(sessions.peek(created.sessionId)).toEqual(created)
    expect(await sessions.get(created.sessionId)).toEqual(created)
    expect(sessions.peek(sessionIdOf(2))).toBeUndefined()
    expect(await sessions.countForBot('bot-a')).toBe(1)
    expect(await sessions.countForBot('bot-b')).toBe(0)
    expect(await sessions.list()).toEqual([
      {
        label: created.sessionId.slice(0, 6),
        handle: sha256Hex(created.sessionId).slice(0, 16),
        botKey: 'bot-a',
        botId: '1000',
        workerId: 'worker-1',
        createdAt: clock.now(),
        lastUsedAt: clock.now(),
      },
    ])
    expect(await sessions.delete(created.sessionId)).toEqual(created)
    expect(await sessions.delete(created.sessionId)).toBeUndefined()
    expect(await sessions.get(created.sessionId)).toBeUndefined()
    expect(await sessions.countForBot('bot-a')).toBe(0)
  })

  test("deleteForBot ends every session of that bot and no other bot's", async () => {
    const clock = manualClock()
    const { sessions } = await open(clock)
    for (const n of [1, 2, 3]) await sessions.create(session(n, 'bot-a', clock.now()))
    await sessions.create(session(4, 'bot-b', clock.now()))
    const ended = await sessions.deleteForBot('bot-a')
    expect(ended.map((s) => s.sessionId).sort()).toEqual([sessionIdOf(1), sessionIdOf(2), sessionIdOf(3)])
    expect(await sessions.countForBot('bot-a')).toBe(0)
    expect(await sessions.get(sessionIdOf(4))).toBeDefined()
    expect(await sessions.deleteForBot('bot-a')).toEqual([])
  })

  test('using a session moves its last-used time; expireIdle ends only the idle ones, and 0 means never', async () => {
    const clock = manualClock()
    const { sessions } = await open(clock)
    await sessions.create(session(1, 'bot-a', clock.now()))
    await sessions.create(session(2, 'bot-a', clock.now()))
    clock.advance(60_000)
    sessions.peek(sessionIdOf(1)) // the short path counts as use
    expect((await sessions.list()).map((s) => s.lastUsedAt)).toEqual([clock.now(), clock.now() - 60_000])
    clock.advance(30_000)
    expect(await sessions.expireIdle(0)).toEqual([])
    const expired = await sessions.expireIdle(60_000)
    expect(expired.map((s) => s.label)).toEqual([sessionIdOf(2).slice(0, 6)])
    expect(await sessions.get(sessionIdOf(2))).toBeUndefined()
    expect(await sessions.get(sessionIdOf(1))).toBeDefined()
  })

  test('an admin ends one session by its handle (a hash prefix, never the id or the colliding label)', async () => {
    const clock = manualClock()
    const { sessions } = await open(clock)
    await sessions.create(session(1, 'bot-a', clock.now()))
    await sessions.create(session(2, 'bot-a', clock.now()))
    const handle = (await sessions.list()).find((record) => record.workerId === 'worker-1')?.handle ?? ''
    expect(handle).toMatch(/^[0-9a-f]{16}$/)
    expect(sessionIdOf(1)).not.toContain(handle)
    expect(await sessions.deleteByHandle(handle.slice(0, 15))).toBeUndefined() // exact length only
    expect(await sessions.deleteByHandle(handle)).toMatchObject({
      sessionId: sessionIdOf(1),
      botKey: 'bot-a',
      workerId: 'worker-1',
    })
    expect(await sessions.deleteByHandle(handle)).toBeUndefined()
    expect(await sessions.get(sessionIdOf(1))).toBeUndefined()
    expect(await sessions.get(sessionIdOf(2))).toBeDefined()
  })

  test('a bot put with its token is known by the key the pool uses, and listed with its token only to start it', async () => {
    const clock = manualClock()
    const { bots } = await open(clock)
    const token = botToken('1000', 'alpha')
    const record = await bots.put({ token, botId: '1000', intents: 513, desiredState: 'running' })
    expect(record.botKey).toBe(botKeyOf(token))
    expect(record).toEqual({
      botKey: botKeyOf(token),
      botId: '1000',
      intents: 513,
      desiredState: 'running',
      gatewaySession: null,
      updatedAt: clock.now(),
    })
    expect(await bots.get(record.botKey)).toEqual(record)
    expect(JSON.stringify(await bots.list())).not.toContain(token)
    expect(await bots.listRunning()).toEqual([{ ...record, token }])
  })

  test('a stopped bot is not started again; unknown bots are refused', async () => {
    const clock = manualClock()
    const { bots } = await open(clock)
    const { botKey } = await bots.put({
      token: botToken('1000', 'a'),
      botId: '1000',
      intents: 1,
      desiredState: 'running',
    })
    clock.advance(5)
    expect(await bots.setDesiredState(botKey, 'stopped')).toBe(true)
    expect(await bots.get(botKey)).toMatchObject({ desiredState: 'stopped', updatedAt: clock.now() })
    expect(await bots.listRunning()).toEqual([])
    expect(await bots.setDesiredState('nope', 'running')).toBe(false)
    expect(await bots.forget('nope')).toBe(false)
  })

  test('the gateway session is kept for RESUME, survives a new put of the same token, and goes with forget', async () => {
    const clock = manualClock()
    const { bots } = await open(clock)
    const token = botToken('1000', 'a')
    const { botKey } = await bots.put({ token, botId: '1000', intents: 1, desiredState: 'running' })
    bots.saveGatewaySession(botKey, gateway)
    bots.saveGatewaySession('unknown-bot', gateway) // ignored: nothing to resume
    expect((await bots.get(botKey))?.gatewaySession).toEqual(gateway)
    await bots.put({ token, botId: '1000', intents: 3, desiredState: 'running' })
    expect((await bots.get(botKey))?.gatewaySession).toEqual(gateway)
    bots.saveGatewaySession(botKey, null)
    expect((await bots.get(botKey))?.gatewaySession).toBeNull()
    expect(await bots.forget(botKey)).toBe(true)
    expect(await bots.get(botKey)).toBeUndefined()
    expect(await bots.listRunning()).toEqual([])
    expect(await bots.list()).toEqual([])
  })

  test('event ids are reserved in blocks per bot, each block after the last', async () => {
    const { eventIds } = await open(manualClock())
    expect(await eventIds.reservedThrough('1000')).toBe(0)
    expect(await eventIds.reserve('1000', 100)).toBe(1)
    expect(await eventIds.reserve('1000', 100)).toBe(101)
    expect(await eventIds.reserve('2000', 10)).toBe(1)
    expect(await eventIds.reservedThrough('1000')).toBe(200)
  })
})
