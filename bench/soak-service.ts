import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/log.ts'
import { countWorkerThreads } from '../src/observability/worker-threads.ts'
import { botKeyOf } from '../src/pool/pool.ts'
import { startService } from '../src/service.ts'
import { announce, exitWithParent, serveControl, settledRss } from './child.ts'

/**
 * `bun bench/soak-service.ts <apiUrl> <maxBots>`: the real service alone in its process for `bun run bench --soak`.
 * Its loopback control API (bench only, never part of the service) reports what the soak prints per minute:
 * this thread's heap (the gateway's; each worker has its own), the process RSS, the event-loop lag seen by a
 * 10 ms timer since the last look; on request after a full GC in every thread and settling (settledRss). At the end it counts
 * what the service still holds: sessions, bots and live worker threads.
 */
export type SoakServiceInfo = { url: string; controlUrl: string }
export type SoakSample = {
  heapBytes: number
  rssBytes: number
  lagP99Ms: number
  lagMaxMs: number
  lagSamples: number[]
}
/** What the service holds, with the settings that say how many worker threads that may take. */
export type SoakCensus = {
  sessions: number
  bots: number
  /** null where /proc is missing (not Linux). */
  workerThreads: number | null
  idleWorkers: number
  botsPerWorker: number
  maxIdleWorkers: number
  spareWorkers: number
}

const [apiUrl, maxBots = '100'] = process.argv.slice(2)
if (!apiUrl) throw new Error('usage: soak-service.ts <apiUrl> [maxBots]')

const config = loadConfig({
  PORT: '0',
  HOST: '127.0.0.1',
  DISCORD_API_URL: apiUrl,
  LOG_LEVEL: 'silent',
  // the bench is one client (127.0.0.1): not what the per-IP login limits are for
  LOGIN_BURST: '1000000',
  LOGIN_PER_MINUTE: '1000000',
  LOGIN_MAX_PENDING_PER_IP: '100000',
  MAX_BOTS: maxBots,
  WORKER_TEST_HOOKS: '1',
  // Each bot's replay buffer holds its last EVENT_BUFFER_SIZE events (10 000 by default, ~1 KB each): at the soak's
  // ~1 event/s per bot it would fill for hours, and the heap would grow by design all through a 10-minute run. Ten
  // fill during the warm-up, so the run measures the service at steady state, evictions included.
  EVENT_BUFFER_SIZE: '10',
  // BOTS_PER_WORKER=N bun run bench --soak: the soak of the packed service
  ...(process.env.BOTS_PER_WORKER ? { BOTS_PER_WORKER: process.env.BOTS_PER_WORKER } : {}),
})
const service = startService(config, createLogger('silent'))

// How late a 10 ms timer fires: every request waits at least this long behind whatever holds the thread.
const LAG_TICK_MS = 10
let lagSamples: number[] = []
let expected = performance.now() + LAG_TICK_MS
const lagTimer = setInterval(() => {
  const now = performance.now()
  lagSamples.push(Math.max(0, now - expected))
  expected = now + LAG_TICK_MS
}, LAG_TICK_MS)

const p99 = (values: number[]) => {
  if (values.length === 0) return 0
  const sorted = values.toSorted((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0
}

/** After every thread collected: how long the allocator gets to hand freed pages back before RSS is read. */
const RSS_SETTLE_MS = 1_000

/** A full GC in every bot's worker thread (a packed thread once per bot it hosts: harmless), failures ignored. */
async function collectInWorkers(): Promise<void> {
  await Promise.all(
    service.pool.list().map((bot) => bot.call((worker) => worker.collectGarbage()).catch(() => undefined)),
  )
}

const controlUrl = serveControl({
  async sample(body) {
    const gc = (body as { gc?: boolean } | undefined)?.gc === true
    if (gc) await collectInWorkers()
    const settled = gc ? await settledRss(RSS_SETTLE_MS) : undefined
    if (gc) Bun.gc(true) // settledRss ends on a pause: the heap is read right after a collection, not 100 ms on
    const taken = lagSamples
    lagSamples = []
    const memory = process.memoryUsage()
    return {
      heapBytes: memory.heapUsed,
      rssBytes: settled ?? memory.rss,
      lagP99Ms: p99(taken),
      lagMaxMs: taken.reduce((max, v) => Math.max(max, v), 0),
      lagSamples: taken.map((v) => Math.round(v * 10) / 10),
    } satisfies SoakSample
  },
  async crash(body) {
    const { token } = body as { token: string }
    const bot = service.pool.get(botKeyOf(token))
    if (!bot) throw new Error('no such bot')
    // the worker may die before it answers: either way the crash is under way
    await bot.call((worker) => worker.injectFault('exit')).catch(() => {})
    // answer once the supervisor saw the worker go, so "ready again" afterwards means the new worker
    for (const deadline = Date.now() + 5_000; bot.state() === 'ready' && Date.now() < deadline; ) await Bun.sleep(1)
    return { state: bot.state() }
  },
  state(body) {
    const bot = service.pool.get(botKeyOf((body as { token: string }).token))
    return { state: bot?.state() ?? null }
  },
  async census() {
    return {
      sessions: (await service.sessions.list()).length,
      bots: service.pool.snapshots().length,
      workerThreads: countWorkerThreads(),
      idleWorkers: service.pool.idleWorkers(),
      botsPerWorker: config.BOTS_PER_WORKER,
      maxIdleWorkers: config.IDLE_WORKERS,
      spareWorkers: config.WARM_SPARE_WORKERS,
    } satisfies SoakCensus
  },
})
exitWithParent(async () => {
  clearInterval(lagTimer)
  await service.stop(1_000)
})
announce({ url: service.url, controlUrl } satisfies SoakServiceInfo)
