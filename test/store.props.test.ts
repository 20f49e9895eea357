import { afterAll, expect, test } from 'bun:test'
import fc from 'fast-check'
import { createMemoryStore } from '../src/store/memory.ts'
import type { Store } from '../src/store/types.ts'
import { botToken, manualClock, openSqlite, sessionIdOf, tempDataDir } from './support/store-fixtures.ts'

const BOTS = [0, 1, 2].map((n) => ({ token: botToken(`${n + 1}000`, `bot-${n}`), botId: `${n + 1}000` }))
const botKeyOf = (n: number) => new Bun.CryptoHasher('sha256').update(BOTS[n]?.token ?? '').digest('hex')
const bot = fc.integer({ min: 0, max: BOTS.length - 1 })
const state = fc.constantFrom('running' as const, 'stopped' as const)

/** What a client, a worker or an admin can do to the store, and a restart of the service. */
const command = fc.oneof(
  fc.record({ op: fc.constant('login' as const), bot }),
  fc.record({ op: fc.constant('logout' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('use' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('endBot' as const), bot }),
  fc.record({ op: fc.constant('put' as const), bot, state, intents: fc.nat({ max: 1 << 16 }) }),
  fc.record({ op: fc.constant('setState' as const), bot, state }),
  fc.record({ op: fc.constant('saveGateway' as const), bot, sequence: fc.option(fc.nat(), { nil: null }) }),
  fc.record({ op: fc.constant('forget' as const), bot }),
  fc.record({ op: fc.constant('reserve' as const), bot, count: fc.integer({ min: 1, max: 1000 }) }),
  fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 100_000 }) }),
  fc.record({ op: fc.constant('expire' as const), idleMs: fc.integer({ min: 0, max: 200_000 }) }),
  fc.record({ op: fc.constant('reopen' as const) }),
)
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never

/** Applies one command; returns what a caller would see, comparable across backends. */
async function apply(store: Store, cmd: Command, ids: string[], now: () => number): Promise<unknown> {
  const picked = (pick: number) => ids[pick % Math.max(ids.length, 1)] ?? 'never-issued'
  switch (cmd.op) {
    case 'login': {
      const sessionId = sessionIdOf(ids.length + 1)
      ids.push(sessionId)
      const botId = BOTS[cmd.bot]?.botId ?? ''
      return store.sessions.create({ sessionId, botKey: botKeyOf(cmd.bot), workerId: 'w', botId, createdAt: now() })
    }
    case 'logout':
      return store.sessions.delete(picked(cmd.pick))
    case 'use':
      return store.sessions.get(picked(cmd.pick))
    case 'endBot':
      return (await store.sessions.deleteForBot(botKeyOf(cmd.bot))).length // ids of restored sessions are unknown
    case 'put': {
      const { token, botId } = BOTS[cmd.bot] ?? { token: '', botId: '' }
      return store.bots.put({ token, botId, intents: cmd.intents, desiredState: cmd.state })
    }
    case 'setState':
      return store.bots.setDesiredState(botKeyOf(cmd.bot), cmd.state)
    case 'saveGateway': {
      const session =
        cmd.sequence === null
          ? null
          : { sessionId: 'gw', sequence: cmd.sequence, resumeUrl: 'wss://r', shardId: 0, shardCount: 1 }
      return store.bots.saveGatewaySession(botKeyOf(cmd.bot), session)
    }
    case 'forget':
      return store.bots.forget(botKeyOf(cmd.bot))
    case 'reserve':
      return store.eventIds.reserve(BOTS[cmd.bot]?.botId ?? '', cmd.count)
    case 'expire':
      // a session restored from disk has no id until a request shows it: compare what both backends know
      return (await store.sessions.expireIdle(cmd.idleMs)).map(({ sessionId: _id, ...record }) => record)
    case 'tick':
    case 'reopen':
      return undefined // the runner's own
  }
}

/** Everything the store holds, as its readers see it. */
async function view(store: Store, ids: string[]) {
  return {
    sessions: await store.sessions.list(),
    bots: await store.bots.list(),
    running: await store.bots.listRunning(),
    counts: await Promise.all(BOTS.map((_, n) => store.sessions.countForBot(botKeyOf(n)))),
    eventIds: await Promise.all(BOTS.map(({ botId }) => store.eventIds.reservedThrough(botId))),
    byId: ids.map((id) => store.sessions.peek(id) ?? null),
  }
}

const dirs: Array<() => void> = []
afterAll(() => {
  for (const remove of dirs) remove()
})

test('any sequence of logins, logouts, expiries, bot changes and restarts leaves the memory and SQLite stores equal', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(command, { maxLength: 40 }), async (commands) => {
      const data = tempDataDir()
      dirs.push(data.remove)
      const clock = manualClock()
      const memory = createMemoryStore(clock.now)
      let sqlite = await openSqlite(data.dir, { now: clock.now })
      const ids: string[] = []
      try {
        for (const cmd of commands) {
          if (cmd.op === 'tick') clock.advance(cmd.ms)
          if (cmd.op === 'reopen') {
            await sqlite.close()
            sqlite = await openSqlite(data.dir, { now: clock.now })
          }
          const seen = await apply(memory, cmd, [...ids], clock.now)
          expect(await apply(sqlite, cmd, ids, clock.now)).toEqual(seen)
        }
        expect(await view(sqlite, ids)).toEqual(await view(memory, ids))
        await sqlite.close()
        sqlite = await openSqlite(data.dir, { now: clock.now }) // and once more from the file alone
        expect(await view(sqlite, ids)).toEqual(await view(memory, ids))
      } finally {
        await sqlite.close()
        data.remove()
      }
    }),
    { numRuns: 60 },
  )
})
