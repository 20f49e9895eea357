import { cpus, platform, release } from 'node:os'
import type { FakeInfo } from './fake-process.ts'
import { throughputTool } from './load.ts'
import { runLargePagesBench, writeLargePagesResults } from './large-pages.ts'
import { runLoginFlood, writeFloodResults } from './login-flood.ts'
import { runEventsBench, writeEventsResults } from './events.ts'
import { runRestartBench, writeRestartResults } from './restart.ts'
import { runStoreBench, writeStoreResults } from './store.ts'
import { loginAll, loginOneByOne } from './logins.ts'
import type { NaiveInfo } from './naive/server.ts'
import { measureMemory, PACKED_BOTS_PER_WORKER } from './memory.ts'
import { measurePackedSends } from './packed-sends.ts'
import { measureDesign, measureLimit, timeCrashRecovery } from './phases.ts'
import { createProcessGroup } from './procs.ts'
import { writeReport } from './report.ts'
import { evaluateTargets, summarizeLogins, type BenchResults, type DesignStep } from './results.ts'
import { readCounters, type BenchContext, type Logged } from './scenarios.ts'
import type { ServiceInfo } from './service-process.ts'
import { runSoak } from './soak.ts'

/**
 * `bun run bench [--quick]`: every number in one run on one machine, so the ratios between them hold even on a
 * noisy 2-core box. Processes: the fake Discord, the service, the naive baseline, the bare Bun.serve limit and the
 * load generators, each its own; this one only orchestrates (and sleeps while they work).
 */
const quick = process.argv.includes('--quick')
// `--soak [--minutes N]`: the long run of bench/soak.ts instead of the comparison
const minutesAt = process.argv.indexOf('--minutes')
const soakMinutes = process.argv.includes('--soak') ? (minutesAt < 0 ? 10 : Number(process.argv[minutesAt + 1])) : null
if (soakMinutes !== null && !(soakMinutes > 0)) throw new Error('--minutes takes a positive number')
// --quick is CI's smoke check (.ci/run): every phase runs and prints its tables, as short as still measures
// something (measured: ~3 min with steps 1 and 10, 2 s runs and the fixed rates; about a minute like this).
// The full run warms each measurement up for 3 s: the packed service's sends ran in 6 JS VMs, each compiling
// discord.js's path on its own, and after 1 s their JIT threads still spent 64–71 µs per send (34–59 after 6 s),
// which a service running for days pays once; both designs get the same warm-up.
const plan = quick
  ? {
      steps: [5],
      durationS: 1,
      sendDurationS: 1,
      warmupS: 1,
      settleMs: 300,
      crashes: 1,
      oneByOne: 2,
      fixedRates: false,
    }
  : {
      steps: [1, 50, 200],
      durationS: 5,
      sendDurationS: 15,
      warmupS: 3,
      settleMs: 1_500,
      crashes: 3,
      oneByOne: 5,
      fixedRates: true,
    }
const LOGIN_CONCURRENCY = 8 // docs/facts.md: worker spawns are CPU-bound; more in flight only queue
const CONNECTIONS = 50
const say = (line: string) => process.stderr.write(`${line}\n`)
const startedAt = performance.now()
/** A phase's heading, with the time since the start: where a run's minutes go. */
const heading = (title: string) => say(`\n${title} (at ${Math.round((performance.now() - startedAt) / 1_000)} s)`)

const group = createProcessGroup()
const stopAndExit = (code: number) => void group.stopAll().finally(() => process.exit(code))
process.on('SIGINT', () => stopAndExit(130))
process.on('SIGTERM', () => stopAndExit(143))

try {
  if (soakMinutes !== null) {
    const soak = await runSoak(group, soakMinutes, say)
    process.exitCode = soak.pass ? 0 : 1
  } else {
    await writeReport(await bench(), quick)
    heading('login flood (fresh processes, login limits as shipped)')
    writeFloodResults(await runLoginFlood(group, say), quick)
    heading('live events (fresh processes: 50 bots, 100 SSE readers)')
    writeEventsResults(await runEventsBench(group, say, quick), quick)
    heading(`restart (fresh processes: ${quick ? 10 : 50} bots on SQLite, SIGTERM and start again)`)
    writeRestartResults(await runRestartBench(group, say, quick), quick)
    heading('large pages (fresh processes: one bot in a 1 200-member guild, against bare Bun.serve)')
    writeLargePagesResults(await runLargePagesBench(group, say, quick), quick)
    heading('store (logins/s on SQLite vs memory; cached reads through HTTP, a service on each store)')
    writeStoreResults(await runStoreBench(group, say, quick), quick)
    heading('done')
  }
} finally {
  await group.stopAll()
}
// Every number is out and every child stopped: leave now. A phase's leftover handle otherwise holds the process
// (bench/restart.ts alone lingers ~50 s after its last line, measured), which CI's smoke check would wait for.
process.exit()

async function bench(): Promise<BenchResults> {
  const maxBots = Math.max(...plan.steps)
  say(
    `botvisor bench${quick ? ' --quick' : ''}: steps ${plan.steps.join(', ')} bots, ${plan.durationS} s runs, ${throughputTool()} for throughput`,
  )
  // our bots, then the naive baseline's (other bots: a send must not wake the other design's client), then the
  // packed service's (its send pass ends at full speed: the same bots logging in again right after would meet
  // Discord's per-bot limit, 50 requests/s, still spent), then spares
  const fake = await group.start<FakeInfo>('fake-process.ts', [String(3 * maxBots + plan.oneByOne)], {
    timeoutMs: 60_000,
  })
  const { apiUrl, url: fakeUrl, bots } = fake.info
  const service = await group.start<ServiceInfo>('service-process.ts', [apiUrl, String(maxBots + plan.oneByOne + 10)])
  const naive = await group.start<NaiveInfo>('naive/server.ts', [apiUrl])
  const ctx: BenchContext = {
    group,
    fakeUrl,
    connections: CONNECTIONS,
    durationS: plan.durationS,
    sendDurationS: plan.sendDurationS,
    warmupS: plan.warmupS,
  }

  const discord429 = { ours: 0, naive: 0 }
  /** Runs a phase of one design and books the 429s Discord answered meanwhile to it, naming the phase that had any. */
  const booked = async <T>(who: 'ours' | 'naive', phase: string, run: () => Promise<T>): Promise<T> => {
    const before = await readCounters(fakeUrl)
    const result = await run()
    const limited = (await readCounters(fakeUrl)).rateLimited429 - before.rateLimited429
    discord429[who] += limited
    if (limited > 0) say(`  ${limited} × 429 from Discord during ${who}: ${phase}`)
    return result
  }

  const memoryPlan = {
    steps: plan.steps,
    settleMs: plan.settleMs,
    loginConcurrency: LOGIN_CONCURRENCY,
    maxBots: maxBots + plan.oneByOne,
  }
  heading('memory and logins (fresh processes, no load)')
  const memory = {
    ours: await booked('ours', 'memory and logins', () =>
      measureMemory(group, apiUrl, { who: 'ours', bots: bots.slice(0, maxBots) }, memoryPlan, say),
    ),
    naive: await booked('naive', 'memory and logins', () =>
      measureMemory(group, apiUrl, { who: 'naive', bots: bots.slice(maxBots, 2 * maxBots) }, memoryPlan, say),
    ),
    packed: await booked('ours', 'packed memory and logins', () =>
      measureMemory(group, apiUrl, { who: 'packed', bots: bots.slice(2 * maxBots, 3 * maxBots) }, memoryPlan, say),
    ),
  }
  heading(
    `cached reads and sends through the packed service (BOTS_PER_WORKER=${PACKED_BOTS_PER_WORKER}, a fresh process)`,
  )
  const packedLoad = await booked('ours', 'packed reads and sends', () =>
    measurePackedSends(
      ctx,
      apiUrl,
      bots.slice(2 * maxBots, 3 * maxBots),
      { steps: plan.steps, loginConcurrency: LOGIN_CONCURRENCY },
      say,
    ),
  )
  const designs = {
    ours: { url: service.info.url, pool: bots.slice(0, maxBots), logged: [] as Logged[], steps: [] as DesignStep[] },
    naive: {
      url: naive.info.url,
      pool: bots.slice(maxBots, 2 * maxBots),
      logged: [] as Logged[],
      steps: [] as DesignStep[],
    },
  }
  let limitRun: Awaited<ReturnType<typeof measureLimit>> | undefined
  const limitSteps: BenchResults['limitSteps'] = []

  for (const count of plan.steps) {
    heading(`${count} bot${count === 1 ? '' : 's'}`)
    for (const who of ['ours', 'naive'] as const) {
      const design = designs[who]
      const newBots = design.pool.slice(design.logged.length, count)
      const run = await booked(who, `logins up to ${count} bots`, () =>
        loginAll(
          design.url,
          newBots.map((bot) => bot.token),
          LOGIN_CONCURRENCY,
        ),
      )
      design.logged.push(...newBots.map((bot, i) => ({ bot, session: run.sessions[i] ?? '' })))
    }
    // the ceiling again at every step, right before the routes: on a shared box the machine's speed drifts within a
    // run (bare Bun.serve measured 79k and 91k req/s in two runs an hour apart), and a ratio needs both sides at once
    const stepLimit = await measureLimit(ctx, designs.ours.url, designs.ours.logged[0] as Logged)
    limitRun ??= stepLimit
    limitSteps.push(stepLimit.limit)
    for (const who of ['ours', 'naive'] as const) {
      const step = await booked(who, `routes at ${count} bots`, () =>
        measureDesign(ctx, who, designs[who].url, designs[who].logged, plan.fixedRates),
      )
      const rssBytes = memory[who].rssBytes[designs[who].steps.length] ?? Number.NaN
      designs[who].steps.push({ ...step, rssBytes, rssPerBotBytes: (rssBytes - memory[who].baselineRssBytes) / count })
    }
  }

  heading('crash recovery and one-by-one logins')
  const crashRecoveryMs: number[] = []
  for (let i = 0; i < plan.crashes; i++) {
    const target = designs.ours.logged[Math.floor((i * designs.ours.logged.length) / plan.crashes)] as Logged
    crashRecoveryMs.push(
      await booked('ours', 'crash recovery', () =>
        timeCrashRecovery(service.info.controlUrl, service.info.url, target),
      ),
    )
    await Bun.sleep(500)
  }
  const oneByOne = await booked('ours', 'one-by-one logins', () =>
    loginOneByOne(
      service.info.url,
      bots.slice(3 * maxBots).map((bot) => bot.token),
      800,
    ),
  )
  say(
    `  crash → answering: ${crashRecoveryMs.map((v) => `${Math.round(v)} ms`).join(', ')}; one-by-one logins: ${oneByOne.latenciesMs.map((v) => `${Math.round(v)} ms`).join(', ')}`,
  )

  if (!limitRun) throw new Error('no step ran')
  const cpu = cpus()
  const results: Omit<BenchResults, 'targets'> = {
    date: new Date().toISOString(),
    quick,
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      bun: Bun.version,
      platform: `${platform()} ${release()}`,
    },
    tools: { throughput: throughputTool(), fixedRate: 'autocannon' },
    settings: {
      connections: CONNECTIONS,
      durationS: plan.durationS,
      sendDurationS: plan.sendDurationS,
      warmupS: plan.warmupS,
      loginConcurrency: LOGIN_CONCURRENCY,
      steps: plan.steps,
    },
    ...limitRun,
    limitSteps,
    baselineRssBytes: { ours: memory.ours.baselineRssBytes, naive: memory.naive.baselineRssBytes },
    ours: designs.ours.steps,
    naive: designs.naive.steps,
    packed: {
      botsPerWorker: PACKED_BOTS_PER_WORKER,
      baselineRssBytes: memory.packed.baselineRssBytes,
      steps: plan.steps.map((bots, i) => {
        const rssBytes = memory.packed.rssBytes[i] ?? Number.NaN
        const load = packedLoad[i]
        if (!load) throw new Error(`no packed load run at ${bots} bots`)
        return { bots, rssBytes, rssPerBotBytes: (rssBytes - memory.packed.baselineRssBytes) / bots, ...load }
      }),
      logins: summarizeLogins(memory.packed.loginLatenciesMs, memory.packed.loginWallMs),
    },
    logins: {
      ours: summarizeLogins(memory.ours.loginLatenciesMs, memory.ours.loginWallMs),
      naive: summarizeLogins(memory.naive.loginLatenciesMs, memory.naive.loginWallMs),
      oursOneByOne: summarizeLogins(oneByOne.latenciesMs, oneByOne.wallMs),
    },
    crashRecoveryMs,
    discord429,
  }
  return { ...results, targets: evaluateTargets(results) }
}
