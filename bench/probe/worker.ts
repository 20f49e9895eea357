import { heapStats } from 'bun:jsc'
import { expose } from 'comlink'
import type { BotStartOptions, WorkerPush } from '../../src/contract.ts'
import { createBotApi } from '../../workers/bot.ts'

/** The bot worker's api plus a look inside: what the JS heap holds after a full GC. */
const api = createBotApi((_message: WorkerPush) => {}, self)
const probe = async () => {
  Bun.gc(true)
  const stats = heapStats()
  const mem = process.memoryUsage()
  const types = Object.entries(stats.objectTypeCounts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
  return {
    heapSize: stats.heapSize,
    heapCapacity: stats.heapCapacity,
    extraMemorySize: stats.extraMemorySize,
    objectCount: stats.objectCount,
    heapUsed: mem.heapUsed,
    heapTotal: mem.heapTotal,
    types,
  }
}
const probeApi = { start: (o: BotStartOptions) => api.start(o), probe, stop: () => api.stop() }
/** What bench/probe/run.ts calls; entries that never log in (partial.ts) expose probe() only. */
export type ProbeApi = typeof probeApi
expose(probeApi)
