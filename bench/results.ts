import type { LoadResult, LoadTool } from './load.ts'
import { percentile } from './logins.ts'
import type { Measured, Route } from './scenarios.ts'

export type DesignStep = {
  bots: number
  rssBytes: number
  /** (RSS now − RSS with no bot) / bots, both after GC and settling. */
  rssPerBotBytes: number
  max: Record<Route, Measured>
  fixed: Measured[]
}

/**
 * The packed service (BOTS_PER_WORKER bots per thread) at one step: idle memory, and in a process of its own the
 * cached read (with the bare ceiling measured just before it) and sends.
 */
export type PackedStep = {
  bots: number
  rssBytes: number
  rssPerBotBytes: number
  limitChannels: LoadResult
  cached: Measured
  send: Measured
}

export type LoginSummary = { bots: number; wallMs: number; p50Ms: number; p99Ms: number }

export type BenchResults = {
  date: string
  quick: boolean
  machine: { cpus: number; cpuModel: string; bun: string; platform: string }
  tools: { throughput: LoadTool; fixedRate: 'autocannon' }
  settings: {
    connections: number
    durationS: number
    /** Absent in results written before sends ran longer (they ran durationS). */
    sendDurationS?: number
    warmupS: number
    loginConcurrency: number
    steps: number[]
  }
  bodies: { channelsBytes: number; messagesBytes: number }
  /** The ceiling at the first step (the report's headline). */
  limit: { channels: LoadResult; messages: LoadResult }
  /** The ceiling measured again at each step, just before its routes: what that step's ratios divide by. */
  limitSteps: { channels: LoadResult; messages: LoadResult }[]
  baselineRssBytes: { ours: number; naive: number }
  ours: DesignStep[]
  naive: DesignStep[]
  packed: { botsPerWorker: number; baselineRssBytes: number; steps: PackedStep[]; logins: LoginSummary }
  logins: { ours: LoginSummary; naive: LoginSummary; oursOneByOne: LoginSummary }
  crashRecoveryMs: number[]
  discord429: { ours: number; naive: number }
  targets: Target[]
}

export type Target = { name: string; goal: string; measured: string; pass: boolean }

export const summarizeLogins = (latenciesMs: number[], wallMs: number): LoginSummary => ({
  bots: latenciesMs.length,
  wallMs,
  p50Ms: percentile(latenciesMs, 50),
  p99Ms: percentile(latenciesMs, 99),
})

const pct = (ratio: number) => `${(ratio * 100).toFixed(0)} %`
const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`
const rps = (value: number) => `${Math.round(value).toLocaleString('en-US')} req/s`

/** The step the "over 50 bots" targets read: 50 bots, or the largest step below it in a quick run. */
export function referenceStep(steps: readonly DesignStep[]): DesignStep {
  const below = steps.filter((step) => step.bots <= 50)
  const step = below.at(-1) ?? steps[0]
  if (!step) throw new Error('no steps measured')
  return step
}

/** The targets, each read from numbers of this one run; a miss is reported, never fatal. */
export function evaluateTargets(r: Omit<BenchResults, 'targets'>): Target[] {
  const ours = referenceStep(r.ours)
  const limit = r.limitSteps[r.ours.indexOf(ours)] ?? r.limit
  const naive = r.naive.find((step) => step.bots === ours.bots)
  const top = r.ours.at(-1) ?? ours
  const at5000 = (route: Route) => ours.fixed.find((m) => m.route === route && m.ratePerSecond === 5_000)
  const over = `over ${ours.bots} bots`
  const targets: Target[] = []
  const add = (name: string, goal: string, measured: string, pass: boolean) =>
    targets.push({ name, goal, measured, pass })

  const cached = ours.max.channels.rps / limit.channels.rps
  add(
    `cached read vs bare Bun.serve (${over})`,
    '≥ 75 % (aim 85 %)',
    `${pct(cached)} (${rps(ours.max.channels.rps)} / ${rps(limit.channels.rps)} bare at this step)`,
    cached >= 0.75,
  )
  if (naive) {
    const vsNaive = ours.max.channels.rps / naive.max.channels.rps
    add(
      `cached read vs naive (${over})`,
      '≥ 2×',
      `${vsNaive.toFixed(2)}× (naive ${rps(naive.max.channels.rps)})`,
      vsNaive >= 2,
    )
  }
  const channels5000 = at5000('channels')
  if (channels5000) {
    add(
      `cached read p99 at 5 000 req/s (${over})`,
      '≤ 5 ms',
      `${ms(channels5000.p99Ms)} (${rps(channels5000.rps)} reached)`,
      channels5000.p99Ms <= 5 && channels5000.rps >= 4_750,
    )
  }
  const worker = ours.max.messages.rps / limit.messages.rps
  // a read that goes to Discord each time is capped by Discord's 50 req/s per bot, whatever the design
  const capped =
    ours.max.messages.restPerRequest >= 0.5
      ? `; ${ours.max.messages.restPerRequest.toFixed(2)} Discord calls per read cap it at ${rps(50 * ours.bots)}`
      : ''
  add(
    `messages read (worker-fed, one RPC on a miss) vs bare Bun.serve, same body (${over})`,
    '≥ 30 %',
    `${pct(worker)} (${rps(ours.max.messages.rps)} / ${rps(limit.messages.rps)}${capped})`,
    worker >= 0.3,
  )
  const messages5000 = at5000('messages')
  if (messages5000) {
    add(
      `messages read p99 at 5 000 req/s (${over})`,
      '≤ 10 ms',
      `${ms(messages5000.p99Ms)} (${rps(messages5000.rps)} reached)`,
      messages5000.p99Ms <= 10 && messages5000.rps >= 4_750,
    )
  }
  const packed = `packed ×${r.packed.botsPerWorker}`
  const packedAtReference = r.packed.steps.find((step) => step.bots === ours.bots)
  if (packedAtReference) {
    const { cached: packedCached, limitChannels } = packedAtReference
    const ratio = packedCached.rps / limitChannels.rps
    add(
      `cached read vs bare Bun.serve, ${packed} (${over})`,
      '≥ 75 % (aim 85 %)',
      `${pct(ratio)} (${rps(packedCached.rps)} / ${rps(limitChannels.rps)} bare just before)`,
      ratio >= 0.75,
    )
  }
  const topPacked = r.packed.steps.at(-1)
  const mbPerBot = (bytes: number) => bytes / 1_048_576
  if (topPacked) {
    const perBot = mbPerBot(topPacked.rssPerBotBytes)
    add(
      `RSS per idle logged-in bot, ${packed} (${topPacked.bots} bots)`,
      '≤ 8 MB (stretch ≤ 5)',
      `${perBot.toFixed(1)} MB (a thread per bot: ${mbPerBot(top.rssPerBotBytes).toFixed(1)} MB)`,
      perBot <= 8,
    )
  }
  // the steps the send goal names (50 and 200 bots), or whatever steps a quick run has
  for (const step of r.packed.steps.filter((s) => s.bots >= 50 || r.quick)) {
    const naiveStep = r.naive.find((n) => n.bots === step.bots)
    const isolated = r.ours.find((o) => o.bots === step.bots)
    if (!naiveStep || !isolated) continue
    const vsNaive = step.send.rps / naiveStep.max.send.rps
    add(
      `POST /api/messages vs naive, ${packed} (${step.bots} bots)`,
      '≥ 1×',
      `${vsNaive.toFixed(2)}× (${rps(step.send.rps)} / ${rps(naiveStep.max.send.rps)}; a thread per bot ${(isolated.max.send.rps / naiveStep.max.send.rps).toFixed(2)}×)`,
      vsNaive >= 1,
    )
  }
  const { ours: logins, oursOneByOne } = r.logins
  const packedLogins = r.packed.logins
  add(
    `${packedLogins.bots} bots logged in (${r.settings.loginConcurrency} at a time), ${packed}`,
    '≤ 8 s',
    `${(packedLogins.wallMs / 1000).toFixed(1)} s (a thread per bot: ${(logins.wallMs / 1000).toFixed(1)} s)`,
    packedLogins.wallMs <= 8_000,
  )
  add(
    `login p50, ${r.settings.loginConcurrency} at a time, ${packed}`,
    '≤ 250 ms',
    `${ms(packedLogins.p50Ms)} (a thread per bot: ${ms(logins.p50Ms)})`,
    packedLogins.p50Ms <= 250,
  )
  add(
    'login p50, one at a time (idle service, warm spare)',
    '≤ 50 ms',
    ms(oursOneByOne.p50Ms),
    oursOneByOne.p50Ms <= 50,
  )
  const worstCrash = Math.max(...r.crashRecoveryMs)
  add('crashed worker answering again (worst of the samples)', '≤ 1 s', ms(worstCrash), worstCrash <= 1_000)
  add(
    "429s from Discord caused by the service's traffic (both modes)",
    '0',
    String(r.discord429.ours),
    r.discord429.ours === 0,
  )
  return targets
}
