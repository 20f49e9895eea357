import { type Remote, wrap } from 'comlink'
import { GatewayIntentBits } from 'discord-api-types/v10'
import type { FakeInfo } from '../fake-process.ts'
import { createProcessGroup } from '../procs.ts'
import type { ProbeApi } from './worker.ts'

/**
 * `bun bench/probe/run.ts <workers> [entry | --bundled]`: process RSS per bot worker (after `Bun.gc(true)`, read
 * from /proc/self/status as the bench does), and what one worker's JS heap holds after a full GC (bun:jsc
 * heapStats). PROBE_MODE=idle loads the workers without logging in; PROBE_SMOL=0 drops the smol option;
 * PROBE_TYPES=1 prints the heap's most common cell types. Entries must expose probe() (worker.ts, partial.ts).
 * `--bundled` runs worker.ts minified into one file, as scripts/build-worker.ts ships the bot worker.
 */
const count = Number(process.argv[2] ?? '20')
const entry =
  process.argv[3] === '--bundled' ? await bundled() : (process.argv[3] ?? new URL('./worker.ts', import.meta.url).href)
async function bundled(): Promise<string> {
  const { buildWorker } = await import('../../scripts/build-worker.ts')
  const path = `${require('node:os').tmpdir()}/botvisor-probe-${process.pid}.js`
  await buildWorker(path, new URL('./worker.ts', import.meta.url).pathname)
  process.on('exit', () => require('node:fs').rmSync(path, { force: true }))
  return path
}
const mode = process.env.PROBE_MODE ?? 'login'
const intents =
  GatewayIntentBits.Guilds |
  GatewayIntentBits.GuildMembers |
  GatewayIntentBits.GuildMessages |
  GatewayIntentBits.MessageContent |
  GatewayIntentBits.GuildMessageReactions |
  GatewayIntentBits.GuildMessageTyping
const group = createProcessGroup()
const fake = await group.start<FakeInfo>('fake-process.ts', [String(count)])
const vmRss = async () => {
  Bun.gc(true)
  await Bun.sleep(1500)
  let min = Infinity
  for (let i = 0; i < 3; i++) {
    Bun.gc(true)
    const status = await Bun.file('/proc/self/status').text()
    min = Math.min(min, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) * 1024)
    await Bun.sleep(100)
  }
  return min
}
const smol = process.env.PROBE_SMOL !== '0'
const base = await vmRss()
const workers: Remote<ProbeApi>[] = []
for (let i = 0; i < count; i++) {
  const w = new Worker(entry, { type: 'module', smol } as WorkerOptions)
  const api = wrap<ProbeApi>(w)
  workers.push(api)
  if (mode === 'login') {
    const r = await api.start({
      token: fake.info.bots[i]!.token,
      apiUrl: fake.info.apiUrl,
      intents,
      loginTimeoutMs: 15000,
      requestDeadlineMs: 5000,
      identifyReserve: 0,
      resume: null,
      invalidBudget: null,
      refusalCacheMs: 0,
      testHooks: false,
    })
    if (!r.ok) throw new Error(JSON.stringify(r))
  } else await api.probe()
}
const after = await vmRss()
const p = await workers[0]!.probe()
const mb = (n: number) => (n / 1048576).toFixed(2)
console.log(
  JSON.stringify({
    count,
    smol,
    mode,
    perWorkerMB: mb((after - base) / count),
    heap: { size: mb(p.heapSize), cap: mb(p.heapCapacity), extra: mb(p.extraMemorySize), objects: p.objectCount },
  }),
)
if (process.env.PROBE_TYPES) console.log(p.types.map(([t, n]) => `${t}:${n}`).join(' '))
await group.stopAll()
process.exit(0)
