import { afterAll, beforeAll, expect, test } from 'bun:test'
import fc from 'fast-check'
import { botKeyOf } from '../src/pool/pool.ts'
import { createMemorySessionStore } from '../src/sessions/store.ts'
import { startStack, waitFor, type Stack } from './support/stack.ts'
import { manualClock } from './support/store-fixtures.ts'

const TTL_MS = 3_600_000
const BOTS = ['alpha', 'beta'] as const
type BotName = (typeof BOTS)[number]

/** What clients and the clock can do: log in, log out, use a session, let time pass, and the expiry sweep. */
const command = fc.oneof(
  fc.record({ op: fc.constant('login' as const), bot: fc.constantFrom(...BOTS) }),
  fc.record({ op: fc.constant('logout' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('use' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 2 * TTL_MS }) }),
  fc.record({ op: fc.constant('sweep' as const) }),
)

let stack: Stack
const clock = manualClock()
beforeAll(async () => {
  stack = await startStack(
    { SESSION_IDLE_TTL: '1h', SESSION_SWEEP_INTERVAL_MS: '600000' },
    { sessions: createMemorySessionStore(clock.now) },
  )
})
afterAll(() => stack.stop())

/** The model: every live session, its bot and when it was last used. Ids once issued stay pickable. */
type Live = { bot: BotName; lastUsedAt: number }

test('any interleaving of login, logout, use, time and expiry leaves sessions, leases and running bots consistent', async () => {
  const live = new Map<string, Live>()
  const issued: string[] = []
  const picked = (pick: number) => issued[pick % Math.max(issued.length, 1)] ?? 'never-issued-session-id-000000000'
  const keyOf = (bot: BotName) => botKeyOf(stack.discord.tokens[bot])

  async function check() {
    const listed = await stack.service.sessions.list()
    expect(listed.length).toBe(live.size)
    for (const bot of BOTS) {
      const count = [...live.values()].filter((session) => session.bot === bot).length
      expect(await stack.service.sessions.countForBot(keyOf(bot))).toBe(count)
      // one lease per session, and a bot runs exactly while it has sessions
      expect(stack.service.pool.leases(keyOf(bot))).toBe(count)
      expect(stack.service.pool.get(keyOf(bot)) !== undefined).toBe(count > 0)
    }
  }

  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 10 }), async (commands) => {
      // each run starts with no session, so a counterexample shrinks to the commands that break it
      for (const sessionId of live.keys()) await stack.post('/api/auth/logout', {}, sessionId)
      live.clear()
      await check()
      for (const cmd of commands) {
        switch (cmd.op) {
          case 'login': {
            const { sessionId } = await stack.login(stack.discord.tokens[cmd.bot])
            issued.push(sessionId)
            live.set(sessionId, { bot: cmd.bot, lastUsedAt: clock.now() })
            break
          }
          case 'logout': {
            const sessionId = picked(cmd.pick)
            const res = await stack.post('/api/auth/logout', {}, sessionId)
            expect(res.status).toBe(live.delete(sessionId) ? 200 : 401)
            break
          }
          case 'use': {
            const sessionId = picked(cmd.pick)
            const res = await stack.get('/api/session', sessionId)
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
            expect(await stack.service.sessionExpiry.sweep()).toBe(idle.length)
            for (const [sessionId] of idle) live.delete(sessionId)
            break
          }
        }
        await check()
      }
      // Discord's side agrees: a bot with sessions is connected once, one without is not connected
      for (const bot of BOTS) {
        const want = [...live.values()].some((session) => session.bot === bot) ? 1 : 0
        await waitFor(() => (stack.discord.counters().openConnections[bot] ?? 0) === want || undefined, {
          timeoutMs: 15_000,
        })
      }
    }),
    { numRuns: 40 },
  )
}, 180_000)
