import type { FakeInfo } from '../fake-process.ts'
import { loginAll } from '../logins.ts'
import { createProcessGroup } from '../procs.ts'
import type { ServiceInfo } from '../service-process.ts'
import { cpuByGroup, threadCpu } from '../thread-cpu.ts'
/**
 * `bun bench/probe/idle-cpu.ts [bots=200] [botsPerWorker list=1,10]`: what logged-in bots cost while nothing
 * happens: the service's CPU time over 10 idle seconds, by thread name (each task's /proc stat), for each
 * BOTS_PER_WORKER given; Bun's own settings (BUN_GC_TIMER_INTERVAL, ...) come from this process's environment.
 */
const bots = Number(process.argv[2] ?? 200)
const designs = (process.argv[3] ?? '1,10').split(',')
const group = createProcessGroup()
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
    const [service0, fake0] = await Promise.all([threadCpu(service.pid), threadCpu(fake.pid)])
    await Bun.sleep(10_000)
    const [service1, fake1] = await Promise.all([threadCpu(service.pid), threadCpu(fake.pid)])
    const d = Object.entries(cpuByGroup(service.pid, service0, service1))
      .filter(([, ms]) => ms > 0)
      .sort((x, y) => y[1] - x[1])
    const fakeMs = Object.values(cpuByGroup(fake.pid, fake0, fake1)).reduce((sum, ms) => sum + ms, 0)
    console.log(
      `per worker ${perWorker}, ${bots} bots idle 10 s: service CPU ms ${d.reduce((s, [, v]) => s + v, 0)} (${d.map(([k, v]) => `${k} ${v}`).join(', ')}); fake ${fakeMs}`,
    )
    await service.stop()
  }
} finally {
  await group.stopAll()
}
process.exit(0)
