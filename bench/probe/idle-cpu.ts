import { readdir } from 'node:fs/promises'
import type { FakeInfo } from '../fake-process.ts'
import { loginAll } from '../logins.ts'
import { createProcessGroup } from '../procs.ts'
import type { ServiceInfo } from '../service-process.ts'
/**
 * `bun bench/probe/idle-cpu.ts [bots=200] [botsPerWorker list=1,10]`: what logged-in bots cost while nothing
 * happens: the service's CPU time over 10 idle seconds, by thread name (each task's /proc stat), for each
 * BOTS_PER_WORKER given; Bun's own settings (BUN_GC_TIMER_INTERVAL, ...) come from this process's environment.
 */
const bots = Number(process.argv[2] ?? 200)
const designs = (process.argv[3] ?? '1,10').split(',')
const group = createProcessGroup()
const cpuMs = async (pid: number) => {
  const stat = await Bun.file(`/proc/${pid}/stat`).text()
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) * 10
}
const threadsByName = async (pid: number) => {
  const out: Record<string, number> = {}
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await Bun.file(`/proc/${pid}/task/${tid}/stat`)
      .text()
      .catch(() => '')
    const close = stat.lastIndexOf(')')
    if (close < 0) continue
    const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, close)
    const f = stat.slice(close + 2).split(' ')
    out[name] = (out[name] ?? 0) + (Number(f[11]) + Number(f[12])) * 10
  }
  return out
}
try {
  const fake = await group.start<FakeInfo>('fake-process.ts', [String(bots)], { timeoutMs: 60_000 })
  for (const perWorker of designs) {
    const service = await group.start<ServiceInfo>('service-process.ts', [
      fake.info.apiUrl,
      String(bots + 10),
      JSON.stringify({ BOTS_PER_WORKER: perWorker }),
    ])
    await loginAll(
      service.info.url,
      fake.info.bots.map((b) => b.token),
      8,
    )
    await Bun.sleep(3000)
    const a = await threadsByName(service.pid)
    const fa = await cpuMs(fake.pid)
    await Bun.sleep(10_000)
    const b = await threadsByName(service.pid)
    const fb = await cpuMs(fake.pid)
    const d = Object.entries(b)
      .map(([k, v]) => [k, v - (a[k] ?? 0)] as const)
      .filter(([, v]) => v > 0)
      .sort((x, y) => y[1] - x[1])
    console.log(
      `per worker ${perWorker}, ${bots} bots idle 10 s: service CPU ms ${d.reduce((s, [, v]) => s + v, 0)} (${d.map(([k, v]) => `${k} ${v}`).join(', ')}); fake ${fb - fa}`,
    )
    await service.stop()
  }
} finally {
  await group.stopAll()
}
process.exit(0)
