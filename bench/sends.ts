import type { FakeInfo } from './fake-process.ts'
import { loginAll } from './logins.ts'
import type { NaiveInfo } from './naive/server.ts'
import { createProcessGroup } from './procs.ts'
import { measure, type BenchContext, type Logged, type Measured } from './scenarios.ts'
import type { ServiceInfo } from './service-process.ts'
import { cpuByGroup, threadCpu } from './thread-cpu.ts'

/**
 * `bun bench/sends.ts [bots=200] [repeats=3] [seconds=5] [botsPerWorker=1] [warmupSeconds=3]`: `POST /api/messages` at full speed, the service and the
 * naive baseline taking turns in one run (repeated, for the spread), with where the CPU went per send: each
 * process's threads read from /proc/<pid>/task/<tid>/stat before and after each run, grouped by thread name
 * (the gateway's main thread, the bot workers, Bun's other threads) and the fake Discord's. Not part of
 * `bun run bench`: it is the profile behind the send rows (README, Performance).
 */
const [bots = 200, repeats = 3, seconds = 5, botsPerWorker = 1, warmupS = 3] = process.argv.slice(2).map(Number)
const say = (line: string) => process.stderr.write(`${line}\n`)
const group = createProcessGroup()
process.on('SIGINT', () => void group.stopAll().finally(() => process.exit(130)))
try {
  const fake = await group.start<FakeInfo>('fake-process.ts', [String(2 * bots)], { timeoutMs: 60_000 })
  // SENDS_CPU_PROFILE=<dir>: the service also writes a CPU profile of its main thread there (markdown) when it ends
  const profileDir = process.env.SENDS_CPU_PROFILE
  const service = await group.start<ServiceInfo>(
    'service-process.ts',
    [fake.info.apiUrl, String(bots + 10), JSON.stringify({ BOTS_PER_WORKER: String(botsPerWorker) })],
    { bunFlags: profileDir ? ['--cpu-prof-md', '--cpu-prof-interval=200', `--cpu-prof-dir=${profileDir}`] : [] },
  )
  const naive = await group.start<NaiveInfo>('naive/server.ts', [fake.info.apiUrl])
  const designs = {
    ours: { child: service, pool: fake.info.bots.slice(0, bots) },
    naive: { child: naive, pool: fake.info.bots.slice(bots) },
  }
  const logged: Record<'ours' | 'naive', Logged[]> = { ours: [], naive: [] }
  for (const who of ['ours', 'naive'] as const) {
    const { child, pool } = designs[who]
    const run = await loginAll(
      child.info.url,
      pool.map((bot) => bot.token),
      8,
    )
    logged[who] = pool.map((bot, i) => ({ bot, session: run.sessions[i] ?? '' }))
    say(`${who}: ${bots} bots logged in in ${Math.round(run.wallMs)} ms`)
  }
  const ctx: BenchContext = {
    group,
    fakeUrl: fake.info.url,
    connections: 50,
    durationS: seconds,
    sendDurationS: seconds,
    warmupS,
  }
  const rows: { who: string; m: Measured; cpu: Record<string, number>; fakeCpu: number }[] = []
  for (let r = 0; r < repeats; r++) {
    // with a profile, the service alone: a naive run meanwhile would be the service's idle time in the profile
    for (const who of profileDir ? (['ours'] as const) : (['ours', 'naive'] as const)) {
      const pid = designs[who].child.pid
      // the counters bracket warm-up and run alike: divided by the measured run's requests, a slight overcount
      const [before, fakeBefore] = await Promise.all([threadCpu(pid), threadCpu(fake.pid)])
      const m = await measure(ctx, designs[who].child.info.url, 'send', logged[who])
      const [after, fakeAfter] = await Promise.all([threadCpu(pid), threadCpu(fake.pid)])
      const cpu = cpuByGroup(pid, before, after)
      const fakeCpu = Object.values(cpuByGroup(fake.pid, fakeBefore, fakeAfter)).reduce((a, b) => a + b, 0)
      rows.push({ who, m, cpu, fakeCpu })
      const perSend = (ms: number) => ((1000 * ms) / Math.max(1, m.requests + ctx.warmupS * m.rps)).toFixed(0)
      const threads = Object.entries(cpu)
        .filter(([, ms]) => ms > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([name, ms]) => `${name} ${perSend(ms)}`)
        .join(', ')
      say(
        `${who} run ${r + 1}: ${Math.round(m.rps)} req/s, p50 ${m.p50Ms.toFixed(1)} / p99 ${m.p99Ms.toFixed(1)} ms, ${m.non2xx + m.errors} failed, ${m.discord429} × 429, ${m.restPerRequest.toFixed(2)} REST/req; CPU µs per send: ${threads}; fake ${perSend(fakeCpu)}`,
      )
    }
  }
  const spread = (who: string) => {
    const rps = rows.filter((row) => row.who === who).map((row) => Math.round(row.m.rps))
    return `${Math.min(...rps)}–${Math.max(...rps)} (${rps.join(', ')})`
  }
  say(`\n${bots} bots, ${seconds} s runs: ours ${spread('ours')} req/s; naive ${spread('naive')} req/s`)
} finally {
  await group.stopAll()
}
