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

export type LoginSummary = { bots: number; wallMs: number; p50Ms: number; p99Ms: number }

export type BenchResults = {
  date: string
  quick: boolean
  machine: { cpus: number; cpuModel: string; bun: string; platform: string }
  tools: { throughput: LoadTool; fixedRate: 'autocannon' }
  settings: { connections: number; durationS: number; warmupS: number; loginConcurrency: number; steps: number[] }
  bodies: { channelsBytes: number; messagesBytes: number }
  limit: { channels: LoadResult; messages: LoadResult }
  baselineRssBytes: { ours: number; naive: number }
  ours: DesignStep[]
  naive: DesignStep[]
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
  const naive = r.naive.find((step) => step.bots === ours.bots)
  const top = r.ours.at(-1) ?? ours
  const at5000 = (route: Route) => ours.fixed.find((m) => m.route === route && m.ratePerSecond === 5_000)
  const over = `over ${ours.bots} bots`
  const targets: Target[] = []
  const add = (name: string, goal: string, measured: string, pass: boolean) =>
    targets.push({ name, goal, measured, pass })

  const cached = ours.max.channels.rps / r.limit.channels.rps
  add(
    `cached read vs bare Bun.serve (${over})`,
    '≥ 70 %',
    `${pct(cached)} (${rps(ours.max.channels.rps)} / ${rps(r.limit.channels.rps)})`,
    cached >= 0.7,
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
  const worker = ours.max.messages.rps / r.limit.messages.rps
  // a read that goes to Discord each time is capped by Discord's 50 req/s per bot, whatever the design
  const capped =
    ours.max.messages.restPerRequest >= 0.5
      ? `; ${ours.max.messages.restPerRequest.toFixed(2)} Discord calls per read cap it at ${rps(50 * ours.bots)}`
      : ''
  add(
    `messages read (worker-fed, one RPC on a miss) vs bare Bun.serve, same body (${over})`,
    '≥ 30 %',
    `${pct(worker)} (${rps(ours.max.messages.rps)} / ${rps(r.limit.messages.rps)}${capped})`,
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
  const perBotMb = top.rssPerBotBytes / 1_048_576
  add(`RSS per idle logged-in bot (${top.bots} bots)`, '≤ 20 MB', `${perBotMb.toFixed(1)} MB`, perBotMb <= 20)
  const { ours: logins, oursOneByOne } = r.logins
  add(
    `${logins.bots} bots logged in (${r.settings.loginConcurrency} at a time)`,
    '≤ 30 s',
    `${(logins.wallMs / 1000).toFixed(1)} s`,
    logins.wallMs <= 30_000,
  )
  add(
    'login p50, one at a time (idle service, warm spare)',
    '≤ 100 ms',
    ms(oursOneByOne.p50Ms),
    oursOneByOne.p50Ms <= 100,
  )
  add(`login p50, ${r.settings.loginConcurrency} at a time`, '≤ 100 ms', ms(logins.p50Ms), logins.p50Ms <= 100)
  const worstCrash = Math.max(...r.crashRecoveryMs)
  add('crashed worker answering again (worst of the samples)', '≤ 1 s', ms(worstCrash), worstCrash <= 1_000)
  add("429s from Discord caused by the service's traffic", '0', String(r.discord429.ours), r.discord429.ours === 0)
  return targets
}
