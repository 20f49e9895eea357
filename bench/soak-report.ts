import { mkdir } from 'node:fs/promises'
import type { SoakCensus } from './soak-service.ts'

/** One row of the soak's table: the minute's traffic and the service process's state at its end. */
export type SoakMinute = {
  minute: number
  requests: number
  ok: number
  clientErrors: number
  server5xx: number
  injected5xx: number
  skipped: number
  heapBytes: number
  rssBytes: number
  lagP99Ms: number
  lagMaxMs: number
  requestP99Ms: number
  churnLoginsSoFar: number
}

export type SoakChannel = {
  channelId: string
  answered201: number
  answeredOther: number
  atDiscord: number
  duplicateContents: number
}

export type SoakInput = {
  date: string
  minutes: number
  settings: { bots: number; churnBots: number; ratePerSecond: number; crashes: number }
  heapStartBytes: number
  heapEndBytes: number
  /** Process RSS after a forced GC and settling, after the warm-up and at the end. */
  rssStartBytes: number
  rssEndBytes: number
  /** What the service held at the start sample (after the warm-up, churn under way). */
  censusStart: SoakCensus
  /** What the service held once the churn stopped and the crashed bots were back. */
  census: SoakCensus
  lagAllMs: number[]
  rows: SoakMinute[]
  churn: { logins: number; logouts: number; failures: number }
  crashes: { recoveredMs: number }[]
  sends: SoakChannel[]
}

export type SoakCheck = { name: string; target: string; measured: string; pass: boolean }
export type SoakResults = Omit<SoakInput, 'lagAllMs'> & { lagP99Ms: number; checks: SoakCheck[]; pass: boolean }

// issue 10's bar: a service that runs for weeks
const HEAP_GROWTH_LIMIT = 0.1
const LAG_P99_LIMIT_MS = 20
// issue 14: the workers' memory too, and nothing left of the bots that came and went
const RSS_GROWTH_LIMIT = 0.05

/**
 * The most worker threads `bots` bots may take: their own (packed BOTS_PER_WORKER to a thread), plus the empty
 * ones the pool keeps for the next login (IDLE_WORKERS) and the warm spare.
 */
export const workerThreadLimit = (census: SoakCensus, bots: number): number =>
  Math.ceil(bots / census.botsPerWorker) + census.maxIdleWorkers + census.spareWorkers

/** The service holds the stable bots' sessions and workers and nothing more (threads unknown without /proc). */
export const nothingLeftBehind = (census: SoakCensus, bots: number): boolean =>
  census.sessions === bots &&
  census.bots === bots &&
  (census.workerThreads === null || census.workerThreads <= workerThreadLimit(census, bots))

export function judgeSoak(input: SoakInput): SoakResults {
  const { lagAllMs, ...rest } = input
  const sorted = lagAllMs.toSorted((a, b) => a - b)
  const lagP99Ms = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0
  const growth = input.heapEndBytes / input.heapStartBytes - 1
  const rssGrowth = input.rssEndBytes / input.rssStartBytes - 1
  const { census } = input
  const bots = input.settings.bots
  const server5xx = input.rows.reduce((sum, row) => sum + row.server5xx, 0)
  const injected5xx = input.rows.reduce((sum, row) => sum + row.injected5xx, 0)
  const answered201 = input.sends.reduce((sum, c) => sum + c.answered201, 0)
  const atDiscord = input.sends.reduce((sum, c) => sum + c.atDiscord, 0)
  const extra = input.sends.reduce((sum, c) => sum + Math.max(0, c.atDiscord - c.answered201), 0)
  const duplicates = input.sends.reduce((sum, c) => sum + c.duplicateContents, 0)
  const checks: SoakCheck[] = [
    {
      name: 'gateway heap after GC, end vs start',
      target: `within ${HEAP_GROWTH_LIMIT * 100} %`,
      measured: `${mb(input.heapStartBytes)} → ${mb(input.heapEndBytes)} (${percent(growth)})`,
      pass: Math.abs(growth) <= HEAP_GROWTH_LIMIT,
    },
    {
      name: 'process RSS after GC, end vs start',
      target: `within ${RSS_GROWTH_LIMIT * 100} %`,
      measured:
        `${mb(input.rssStartBytes)} → ${mb(input.rssEndBytes)} (${percent(rssGrowth)}; worker threads ` +
        `${input.censusStart.workerThreads ?? '?'} → ${census.workerThreads ?? '?'})`,
      pass: Math.abs(rssGrowth) <= RSS_GROWTH_LIMIT,
    },
    {
      name: 'sessions and workers left at the end',
      target:
        `${bots} sessions, ${bots} bots, ≤ ${workerThreadLimit(census, bots)} worker threads ` +
        `(${Math.ceil(bots / census.botsPerWorker)} + ${census.maxIdleWorkers} idle + ${census.spareWorkers} spare)`,
      measured:
        `${census.sessions} sessions, ${census.bots} bots, ` +
        `${census.workerThreads ?? 'unknown (no /proc)'} worker threads (${census.idleWorkers} idle)`,
      pass: nothingLeftBehind(census, bots),
    },
    {
      name: 'event-loop lag p99 (whole run)',
      target: `≤ ${LAG_P99_LIMIT_MS} ms`,
      measured: `${lagP99Ms.toFixed(1)} ms`,
      pass: lagP99Ms <= LAG_P99_LIMIT_MS,
    },
    {
      name: '5xx outside the injected crashes',
      target: '0',
      measured: `${server5xx} (${injected5xx} during crashes)`,
      pass: server5xx === 0,
    },
    {
      name: 'duplicate messages (Discord vs 201s)',
      target: '0',
      measured: `${atDiscord} at Discord for ${answered201} × 201; ${extra} extra, ${duplicates} same content twice`,
      pass: extra === 0 && duplicates === 0,
    },
  ]
  return { ...rest, lagP99Ms, checks, pass: checks.every((check) => check.pass) }
}

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`
const percent = (change: number) => `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} %`

export function soakMarkdown(results: SoakResults): string {
  const { settings } = results
  const lines = [
    `Soak, ${results.date.slice(0, 16).replace('T', ' ')} UTC: ${results.minutes} min, ${settings.bots} bots, ${settings.ratePerSecond} req/s mixed reads and sends, ` +
      `login/logout churn on ${settings.churnBots} more bots (${results.churn.logins} logins, ${results.churn.failures} failed), ${settings.crashes} injected worker crashes.`,
    '',
    '| minute | requests | gateway heap | RSS | event-loop lag p99 (max) | request p99 | 5xx (injected) |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...results.rows.map(
      (row) =>
        `| ${row.minute} | ${row.requests.toLocaleString('en-US')} | ${mb(row.heapBytes)} | ${mb(row.rssBytes)} | ` +
        `${row.lagP99Ms.toFixed(1)} ms (${row.lagMaxMs.toFixed(0)}) | ${row.requestP99Ms.toFixed(1)} ms | ${row.server5xx} (${row.injected5xx}) |`,
    ),
    '',
    '| check | target | measured | |',
    '|---|---|---|---|',
    ...results.checks.map(
      (check) => `| ${check.name} | ${check.target} | ${check.measured} | ${check.pass ? 'PASS' : 'MISS'} |`,
    ),
  ]
  return `${lines.join('\n')}\n`
}

export async function writeSoakReport(results: SoakResults, say: (line: string) => void): Promise<void> {
  const dir = new URL('./results/', import.meta.url).pathname
  await mkdir(dir, { recursive: true })
  await Bun.write(`${dir}soak-latest.json`, `${JSON.stringify(results, null, 2)}\n`)
  const markdown = soakMarkdown(results)
  await Bun.write(`${dir}soak-latest.md`, markdown)
  say(`\n${markdown}`)
  say(`written: bench/results/soak-latest.json, bench/results/soak-latest.md — ${results.pass ? 'PASS' : 'MISS'}`)
}
