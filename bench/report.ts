import { mkdir } from 'node:fs/promises'
import { memoryChart, sendsChart, throughputChart } from './charts.ts'
import type { LoadResult } from './load.ts'
import type { BenchResults, DesignStep } from './results.ts'
import { ROUTE_LABELS, ROUTES } from './scenarios.ts'

const RESULTS_DIR = new URL('results/', import.meta.url).pathname
const README = new URL('README.md', import.meta.url).pathname
const README_INTRO = new URL('readme-intro.md', import.meta.url).pathname
const MB = 1_048_576

const int = (n: number) => Math.round(n).toLocaleString('en-US')
const ms = (n: number) => n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)
const failed = (m: LoadResult) => (m.non2xx + m.errors > 0 ? `, ${int(m.non2xx + m.errors)} failed` : '')
const cell = (m: LoadResult) => `${int(m.rps)} · ${ms(m.p50Ms)} / ${ms(m.p99Ms)}${failed(m)}`
const row = (cells: string[]) => `| ${cells.join(' | ')} |`
const header = (first: string, steps: number[]) => [
  row([first, ...steps.map((n) => `${n} bot${n === 1 ? '' : 's'}`)]),
  row(['---', ...steps.map(() => '---:')]),
]

/** The report as markdown: printed on stdout and pasted into bench/README.md. */
export function renderTables(r: BenchResults): string {
  const steps = r.ours.map((step) => step.bots)
  const designs: [string, DesignStep[]][] = [
    ['Botvisor', r.ours],
    ['naive', r.naive],
  ]
  const lines: string[] = []
  const add = (...more: string[]) => lines.push(...more)
  add(
    `Run ${r.date.slice(0, 16).replace('T', ' ')} UTC${r.quick ? ' (--quick)' : ''} · ${r.machine.cpus} × ${r.machine.cpuModel} · Bun ${r.machine.bun} · ${r.machine.platform}`,
    `Load: ${r.tools.throughput} for full speed (${r.settings.connections} connections, ${r.settings.durationS} s runs, sends ${r.settings.sendDurationS ?? r.settings.durationS} s, after ${r.settings.warmupS} s warm-up), ${r.tools.fixedRate} for fixed rates; loopback; requests round robin over every logged-in bot's session.`,
    '',
    `**Limit** (bare \`Bun.serve\` sending the same bytes, measured again at each step: the rows "bare Bun.serve" below): channels body (${int(r.bodies.channelsBytes)} B) ${cell(r.limit.channels)}; messages body (${int(r.bodies.messagesBytes)} B) ${cell(r.limit.messages)} (req/s · p50 / p99 ms).`,
    '',
    '#### Full speed: req/s · p50 / p99 ms',
    '',
    ...header('route', steps),
    row(['bare Bun.serve, channels body', ...r.limitSteps.map((limit) => cell(limit.channels))]),
    row(['bare Bun.serve, messages body', ...r.limitSteps.map((limit) => cell(limit.messages))]),
  )
  for (const route of ROUTES) {
    for (const [name, design] of designs)
      add(row([`${name} ${ROUTE_LABELS[route]}`, ...design.map((step) => cell(step.max[route]))]))
  }
  add(
    '',
    '#### Fixed offered rate (autocannon)',
    '',
    row(['route', 'bots', 'offered', 'reached', 'p50 ms', 'p99 ms', 'failed']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
  )
  for (const [name, design] of designs) {
    for (const step of design) {
      for (const m of step.fixed) {
        add(
          row([
            `${name} ${ROUTE_LABELS[m.route]}`,
            String(step.bots),
            int(m.ratePerSecond ?? 0),
            int(m.rps),
            ms(m.p50Ms),
            ms(m.p99Ms),
            int(m.non2xx + m.errors),
          ]),
        )
      }
    }
  }
  add(
    '',
    '#### Memory (RSS after GC and settling) · MB per bot above the empty process',
    '',
    ...header('design', steps),
  )
  for (const [name, design] of designs) {
    add(
      row([
        `${name} (empty: ${int(r.baselineRssBytes[name === 'naive' ? 'naive' : 'ours'] / MB)} MB)`,
        ...design.map((s) => `${int(s.rssBytes / MB)} MB · ${(s.rssPerBotBytes / MB).toFixed(2)} MB/bot`),
      ]),
    )
  }
  const { packed } = r
  add(
    row([
      `Botvisor packed ×${packed.botsPerWorker} (empty: ${int(packed.baselineRssBytes / MB)} MB)`,
      ...packed.steps.map((s) => `${int(s.rssBytes / MB)} MB · ${(s.rssPerBotBytes / MB).toFixed(2)} MB/bot`),
    ]),
    '',
    `#### Sends: POST /api/messages at full speed, req/s · p50 / p99 ms (Discord's ceiling: 50/s per bot)`,
    '',
    ...header('design', steps),
    row(['Botvisor, a thread per bot', ...r.ours.map((step) => cell(step.max.send))]),
    row([`Botvisor packed ×${packed.botsPerWorker}`, ...packed.steps.map((step) => cell(step.send))]),
    row(['naive', ...r.naive.map((step) => cell(step.max.send))]),
  )
  add(
    '',
    `#### Cached read through the packed service: GET /api/channels, req/s · p50 / p99 ms, against bare \`Bun.serve\` measured just before`,
    '',
    ...header('design', steps),
    row([`bare Bun.serve, channels body`, ...packed.steps.map((step) => cell(step.limitChannels))]),
    row([
      `Botvisor packed ×${packed.botsPerWorker} GET /api/channels`,
      ...packed.steps.map((step) => cell(step.cached)),
    ]),
  )
  const { ours, naive, oursOneByOne } = r.logins
  add(
    '',
    '#### Logins, crash recovery, Discord traffic',
    '',
    `- Botvisor: ${ours.bots} bots logged in in ${(ours.wallMs / 1000).toFixed(1)} s (${r.settings.loginConcurrency} at a time), login p50 ${int(ours.p50Ms)} ms, p99 ${int(ours.p99Ms)} ms; one at a time on an idle service: p50 ${int(oursOneByOne.p50Ms)} ms, p99 ${int(oursOneByOne.p99Ms)} ms (${oursOneByOne.bots} logins).`,
    `- Botvisor packed ×${packed.botsPerWorker}: ${packed.logins.bots} bots logged in in ${(packed.logins.wallMs / 1000).toFixed(1)} s (${r.settings.loginConcurrency} at a time), login p50 ${int(packed.logins.p50Ms)} ms, p99 ${int(packed.logins.p99Ms)} ms.`,
    `- naive: ${naive.bots} bots in ${(naive.wallMs / 1000).toFixed(1)} s, p50 ${int(naive.p50Ms)} ms, p99 ${int(naive.p99Ms)} ms (no worker to spawn).`,
    `- Crashed worker (process.exit) → the bot answers a worker read again: ${r.crashRecoveryMs.map((v) => `${int(v)} ms`).join(', ')}.`,
    `- 429s Discord (the fake, at Discord's 50 req/s per bot) answered: ${r.discord429.ours} to Botvisor's traffic, ${r.discord429.naive} to the naive baseline's.`,
    '',
    'Discord REST calls per answered request:',
    '',
    ...header('route', steps),
  )
  for (const route of ROUTES) {
    for (const [name, design] of designs)
      add(row([`${name} ${ROUTE_LABELS[route]}`, ...design.map((step) => step.max[route].restPerRequest.toFixed(2))]))
  }
  add(
    '',
    '#### Targets (ratios from this run)',
    '',
    row(['target', 'goal', 'measured', '']),
    row(['---', '---', '---', '---']),
  )
  for (const t of r.targets) add(row([t.name, t.goal, t.measured, t.pass ? '**PASS**' : '**MISS**']))
  return lines.join('\n')
}

/** Results JSON (latest.json; git keeps the history), the three charts, and (full runs) bench/README.md. Quick runs go to results/quick/. */
export async function writeReport(r: BenchResults, quick: boolean): Promise<void> {
  const dir = quick ? `${RESULTS_DIR}quick/` : RESULTS_DIR
  await mkdir(dir, { recursive: true })
  const json = `${JSON.stringify(r, null, 2)}\n`
  await Bun.write(`${dir}latest.json`, json)
  await Bun.write(`${dir}throughput.svg`, throughputChart(r))
  await Bun.write(`${dir}memory.svg`, memoryChart(r))
  await Bun.write(`${dir}sends.svg`, sendsChart(r))
  const tables = renderTables(r)
  process.stdout.write(`\n${tables}\n\nWritten: ${dir}latest.json, throughput.svg, memory.svg, sends.svg\n`)
  if (quick) return
  const intro = await Bun.file(README_INTRO).text()
  await Bun.write(
    README,
    `${intro.trimEnd()}\n\n### Latest results\n\n${tables}\n\n![Throughput vs logged-in bots](results/throughput.svg)\n\n![Memory vs logged-in bots](results/memory.svg)\n\n![Sends vs logged-in bots](results/sends.svg)\n`,
  )
}
