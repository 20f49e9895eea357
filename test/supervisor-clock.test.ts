import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startFakeDiscord, type FakeDiscord } from '../fake-discord/index.ts'
import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/log.ts'
import type { Clock } from '../src/pool/bot-types.ts'
import { createLimiter } from '../src/pool/limiter.ts'
import { botKeyOf } from '../src/pool/pool.ts'
import { createSpawner } from '../src/pool/spawner.ts'
import { superviseBot } from '../src/pool/supervisor.ts'
import { waitFor } from './support/stack.ts'

/** A clock that moves only when the test says: timers fire in `advance`, never on their own. */
function createManualClock() {
  let now = 1_000_000
  let nextId = 0
  const timers = new Map<number, { at: number; run: () => void }>()
  const clock: Clock & { advance(ms: number): void; pending(): number[] } = {
    now: () => now,
    setTimeout(run, ms) {
      nextId += 1
      timers.set(nextId, { at: now + ms, run })
      return nextId
    },
    clearTimeout: (id) => void timers.delete(id as number),
    advance(ms) {
      now += ms
      const due = [...timers].filter(([, timer]) => timer.at <= now).sort(([, a], [, b]) => a.at - b.at)
      for (const [id, timer] of due) {
        timers.delete(id)
        timer.run()
      }
    },
    pending: () => [...timers.values()].map((timer) => timer.at - now),
  }
  return clock
}

let discord: FakeDiscord
beforeAll(async () => {
  discord = await startFakeDiscord({ port: 0 })
})
afterAll(() => discord.stop())

describe('the supervisor takes its time from its clock', () => {
  test('a crashed bot restarts when its backoff is over on the clock, and a call waiting meanwhile gets 503 at its own deadline', async () => {
    const config = loadConfig({
      DISCORD_API_URL: discord.apiUrl,
      WORKER_TEST_HOOKS: '1',
      RESTART_BACKOFF_BASE_MS: '1000',
      RESTART_WAIT_MS: '2000',
      WARM_SPARE_WORKERS: '0',
    })
    const clock = createManualClock()
    const spawner = createSpawner({ rpcTimeoutMs: config.RPC_TIMEOUT_MS, spares: 0, maxIdle: 0, maxHeapBytes: 0 })
    const token = discord.tokens.solo
    const bot = superviseBot({
      config,
      log: createLogger('silent'),
      token,
      botKey: botKeyOf(token),
      workerId: 'clocked',
      takeWorker: () => spawner.take(() => createLogger('silent')),
      startSlots: createLimiter(1),
      onRevoked: () => {},
      clock,
      random: () => 1,
    })
    try {
      await bot.firstStart
      const injected = await bot.call((worker) => worker.injectFault('exit'))
      expect(injected.ok).toBe(true)
      await waitFor(() => bot.state() === 'restarting')
      // the backoff is a timer on this clock (roll 1: the whole ceiling), and nothing else will end it
      expect(clock.pending()).toEqual([1000])

      const waiting = bot
        .call((worker) => worker.stats())
        .then(
          () => 'served',
          (err: { status: number; code: string }) => `${err.status} ${err.code}`,
        )
      clock.advance(999)
      expect(bot.state()).toBe('restarting')
      clock.advance(1) // the backoff is over: the restart begins; the waiting call still has 1 000 ms
      expect(bot.state()).toBe('starting')
      clock.advance(1000) // its wait is over before the worker could be ready
      expect(await waiting).toBe('503 bot_unavailable')

      await waitFor(() => bot.state() === 'ready', { timeoutMs: 15_000 })
      expect(bot.snapshot().restarts).toBe(1)
      expect((await bot.call((worker) => worker.stats())).ready).toBe(true)
    } finally {
      await bot.stop('test over', 'shutdown')
      spawner.stop()
    }
    expect(discord.counters().openConnections.solo ?? 0).toBe(0)
  }, 30_000)
})
