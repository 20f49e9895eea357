// Heap kept by N calls through a bot's connection (src/pool/remote.ts) to a live worker, after a full GC:
// small objects (stats) and ~10 KB bodies (listGuilds) from the test fixture worker.
// Usage: bun bench/rpc-retention.ts [calls=20000]
import type { BotWorkerApi } from '../src/contract.ts'
import { watchThread } from '../src/pool/remote.ts'

const calls = Number(process.argv[2] ?? 20_000)
const fixture = new URL('../test/fixtures/remote-worker.ts', import.meta.url)
const heapAfterGc = () => {
  Bun.gc(true)
  return process.memoryUsage().heapUsed
}
const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1)

async function measure(name: string, use: (bot: BotWorkerApi) => Promise<unknown>) {
  const worker = watchThread(new Worker(fixture, { type: 'module' })).attach(30_000)
  await worker.call(use) // the worker is up; its module and Comlink's are loaded
  const before = heapAfterGc()
  for (let i = 0; i < calls; i++) await worker.call(use)
  const after = heapAfterGc()
  console.log(
    `${name}: ${calls} calls, heap after GC ${mb(before)} → ${mb(after)} MB (${Math.round((after - before) / calls)} bytes per call kept)`,
  )
  worker.terminate()
  await worker.exited
}
await measure('stats()', (bot) => bot.stats())
await measure('listGuilds() ~10 KB', (bot) => bot.listGuilds())
