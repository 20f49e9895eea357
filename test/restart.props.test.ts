import { afterAll, beforeAll, expect, test } from 'bun:test'
import fc from 'fast-check'
import { startFakeDiscord, type FakeDiscord } from '../fake-discord/index.ts'
import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/log.ts'
import { botKeyOf } from '../src/pool/pool.ts'
import { planRestore } from '../src/restart/plan.ts'
import { startService, type Service } from '../src/service.ts'
import type { Store } from '../src/store/types.ts'
import { manualClock, openSqlite, tempDataDir } from './support/store-fixtures.ts'
import { waitFor } from './support/stack.ts'

/**
 * The property: any interleaving of login, logout, idle expiry and restart leaves the store and the
 * running bots consistent. A restart is the service stopped (workers suspended resumably, store flushed and
 * closed) and started again as src/main.ts does it: the SQLite file in a temp dir reopened, planRestore, then
 * startService; the fake Discord lives across restarts and counts IDENTIFYs and RESUMEs.
 */
const TTL_MS = 3_600_000
const BOTS = ['alpha', 'beta'] as const
type BotName = (typeof BOTS)[number]

/** Restarts weigh more than their share: they are what this file is for (and each costs real worker starts). */
const command = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('login' as const), bot: fc.constantFrom(...BOTS) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('logout' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('use' as const), pick: fc.nat() }), weight: 2 },
  {
    arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 2 * TTL_MS }) }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('sweep' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('restart' as const) }), weight: 2 },
)

const clock = manualClock()
const data = tempDataDir()
let discord: FakeDiscord
let store: Store
let service: Service

/** What src/main.ts does at start: open the store, plan what to bring back, start the service on both. */
async function start(): Promise<void> {
  store = await openSqlite(data.dir, { now: clock.now })
  const restore = await planRestore(store)
  const config = loadConfig({
    PORT: '0',
    DISCORD_API_URL: discord.apiUrl,
    LOG_LEVEL: 'silent',
    DATA_DIR: data.dir,
    SESSION_IDLE_TTL: '1h',
    SESSION_SWEEP_INTERVAL_MS: '600000', // the property sweeps explicitly
    RESTART_WAIT_MS: '10000',
    LOGIN_BURST: '100000',
    LOGIN_PER_MINUTE: '100000',
    LOGIN_MAX_PENDING_PER_IP: '10000',
  })
  service = startService(config, createLogger('silent'), { store, restore })
}

beforeAll(async () => {
  discord = await startFakeDiscord({ port: 0 })
  await start()
})
afterAll(async () => {
  await service.stop(1_000, 0)
  try {
    await waitFor(() => BOTS.every((bot) => (discord.counters().openConnections[bot] ?? 0) === 0), {
      timeoutMs: 10_000,
    })
  } finally {
    await discord.stop()
    data.remove()
  }
})

const call = async (method: string, path: string, sessionId?: string, body?: unknown) => {
  const headers: Record<string, string> = {}
  if (sessionId) headers.authorization = sessionId
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(service.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

/** The model: every live session, its bot and when it was last used. Ids once issued stay pickable. */
type Live = { bot: BotName; lastUsedAt: number }

test('any interleaving of login, logout, expiry and restart leaves store, running bots and Discord consistent', async () => {
  const live = new Map<string, Live>()
  const issued: string[] = []
  const restarts: number[] = [] // how many live sessions each restart had to bring back
  const picked = (pick: number) => issued[pick % Math.max(issued.length, 1)] ?? 'never-issued-session-id-000000000'
  const keyOf = (bot: BotName) => botKeyOf(discord.tokens[bot])
  const countOf = (bot: BotName) => [...live.values()].filter((session) => session.bot === bot).length

  /** Store, pool and Discord agree with the model; the parts settled by a worker's stop are waited for. */
  async function check() {
    expect((await store.sessions.list()).length).toBe(live.size)
    for (const bot of BOTS) {
      const count = countOf(bot)
      const key = keyOf(bot)
      expect({ bot, stored: await store.sessions.countForBot(key) }).toEqual({ bot, stored: count })
      // one lease per session, and a bot runs exactly while it has sessions
      expect({ bot, leases: service.pool.leases(key) }).toEqual({ bot, leases: count })
      expect({ bot, running: service.pool.get(key) !== undefined }).toEqual({ bot, running: count > 0 })
      // the store's desired state (what the next start brings back) and Discord's side settle once a stop ends
      await waitFor(
        async () => {
          const desired = (await store.bots.get(key))?.desiredState ?? 'stopped'
          const open = discord.counters().openConnections[bot] ?? 0
          return (desired === 'running') === count > 0 && open === (count > 0 ? 1 : 0)
        },
        { timeoutMs: 15_000 },
      ).catch(async () => {
        const desired = (await store.bots.get(key))?.desiredState
        throw new Error(
          `${bot}: ${count} session(s), desired state ${desired}, ${discord.counters().openConnections[bot] ?? 0} open connection(s)`,
        )
      })
    }
  }

  /** Every live session reads (its bot may still be coming back: it waits, then reads); every other one is 401. */
  async function everySessionAnswers() {
    for (const sessionId of issued) {
      const session = live.get(sessionId)
      if (!session) {
        expect((await call('GET', '/api/session', sessionId)).status).toBe(401)
        continue
      }
      const read = await waitFor(
        async () => {
          const res = await call('GET', '/api/session', sessionId)
          return res.status === 200 ? res : undefined
        },
        { timeoutMs: 30_000 },
      )
      expect((read.json.bot as { id: string }).id).toBe(discord.world.bots[session.bot].user.id)
      session.lastUsedAt = clock.now()
    }
  }

  async function restart() {
    restarts.push(live.size)
    const before = discord.counters()
    await service.stop(1_000, 0)
    for (const bot of BOTS)
      expect({ bot, open: discord.counters().openConnections[bot] ?? 0 }).toEqual({ bot, open: 0 })
    await start()
    await everySessionAnswers()
    // every bot that came back RESUMEd the session it suspended at the stop: no IDENTIFY spent
    const after = discord.counters()
    for (const bot of BOTS) {
      const back = countOf(bot) > 0 ? 1 : 0
      expect({ bot, identifies: after.identifies[bot] ?? 0, resumes: after.resumes[bot] ?? 0 }).toEqual({
        bot,
        identifies: before.identifies[bot] ?? 0,
        resumes: (before.resumes[bot] ?? 0) + back,
      })
    }
  }

  await fc.assert(
    // every run ends with a restart: the sessions its commands left must all come back
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 10 }), async (generated) => {
      const commands = [...generated, { op: 'restart' as const }]
      // each run starts with no session, so a counterexample shrinks to the commands that break it
      for (const sessionId of live.keys()) await call('POST', '/api/auth/logout', sessionId)
      live.clear()
      await check()
      for (const cmd of commands) {
        switch (cmd.op) {
          case 'login': {
            const res = await call('POST', '/api/auth/login', undefined, { token: discord.tokens[cmd.bot] })
            expect(res.status).toBe(200)
            const sessionId = res.json.sessionId as string
            issued.push(sessionId)
            live.set(sessionId, { bot: cmd.bot, lastUsedAt: clock.now() })
            break
          }
          case 'logout': {
            const sessionId = picked(cmd.pick)
            const res = await call('POST', '/api/auth/logout', sessionId)
            expect(res.status).toBe(live.delete(sessionId) ? 200 : 401)
            break
          }
          case 'use': {
            const sessionId = picked(cmd.pick)
            const res = await call('GET', '/api/session', sessionId)
            const session = live.get(sessionId)
            expect(res.status).toBe(session ? 200 : 401)
            if (session) session.lastUsedAt = clock.now()
            break
          }
          case 'tick':
            clock.advance(cmd.ms)
            break
          case 'sweep': {
            const idle = [...live].filter(([, session]) => clock.now() - session.lastUsedAt > TTL_MS)
            expect(await service.sessionExpiry.sweep()).toBe(idle.length)
            for (const [sessionId] of idle) live.delete(sessionId)
            break
          }
          case 'restart':
            await restart()
            break
        }
        await check()
      }
    }),
    { numRuns: 12 },
  )
  // the property saw restarts with sessions to bring back, not only empty ones
  expect(restarts.filter((sessions) => sessions > 0).length).toBeGreaterThanOrEqual(3)
}, 300_000)
