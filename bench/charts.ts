import * as echarts from 'echarts'
import type { BenchResults, DesignStep } from './results.ts'
import { ROUTE_LABELS, ROUTES } from './scenarios.ts'

const WIDTH = 820
const HEIGHT = 540
const MB = 1_048_576

/** ECharts' server-side SVG renderer: no DOM, no canvas, a string out. */
function renderSvg(option: echarts.EChartsOption): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT })
  chart.setOption({ animation: false, backgroundColor: '#fff', ...option })
  const svg = chart.renderToSVGString()
  chart.dispose()
  return svg
}

const common = (title: string, subtitle: string, steps: number[]): echarts.EChartsOption => ({
  title: { text: title, subtext: subtitle, left: 'center' },
  // a static SVG cannot scroll: the legend wraps onto as many rows as it needs
  legend: { bottom: 8, left: 'center', width: WIDTH - 60, itemGap: 14 },
  grid: { left: 80, right: 80, top: 70, bottom: 130 },
  xAxis: { type: 'category', name: 'logged-in bots', nameLocation: 'middle', nameGap: 28, data: steps.map(String) },
})

/** Requests per second of every route, both designs, against the bare Bun.serve line: log scale (50 to 70 000). */
export function throughputChart(r: BenchResults): string {
  const steps = r.ours.map((step) => step.bots)
  const series = (name: string, design: DesignStep[], dashed: boolean) =>
    ROUTES.map((route) => ({
      name: `${name} ${ROUTE_LABELS[route]}`,
      type: 'line' as const,
      symbolSize: 7,
      lineStyle: { type: dashed ? ('dashed' as const) : ('solid' as const) },
      data: design.map((step) => Math.round(step.max[route].rps)),
    }))
  const limit = (name: string, values: number[]) => ({
    name,
    type: 'line' as const,
    symbol: 'none',
    lineStyle: { type: 'dotted' as const, width: 2 },
    data: values.map(Math.round),
  })
  return renderSvg({
    ...common(
      'Throughput vs logged-in bots',
      `${r.tools.throughput}, ${r.settings.connections} connections, ${r.settings.durationS} s per point · ${r.date.slice(0, 10)}`,
      steps,
    ),
    color: ['#1f77b4', '#2ca02c', '#d62728', '#1f77b4', '#2ca02c', '#d62728', '#7f7f7f', '#bcbd22'],
    yAxis: { type: 'log', name: 'requests/s', min: 10 },
    series: [
      ...series('Botvisor', r.ours, false),
      ...series('naive', r.naive, true),
      limit(
        'bare Bun.serve, channels body',
        r.limitSteps.map((step) => step.channels.rps),
      ),
      limit(
        'bare Bun.serve, messages body',
        r.limitSteps.map((step) => step.messages.rps),
      ),
    ],
  })
}

/** Process RSS (left) and RSS per bot above the empty process (right): both designs, and the packed service. */
export function memoryChart(r: BenchResults): string {
  const steps = r.ours.map((step) => step.bots)
  const line = (name: string, design: Pick<DesignStep, 'rssBytes' | 'rssPerBotBytes'>[], perBot: boolean) => ({
    name,
    type: 'line' as const,
    symbolSize: 7,
    yAxisIndex: perBot ? 1 : 0,
    lineStyle: { type: perBot ? ('dashed' as const) : ('solid' as const) },
    data: design.map((step) => Number(((perBot ? step.rssPerBotBytes : step.rssBytes) / MB).toFixed(2))),
  })
  return renderSvg({
    ...common('Memory vs logged-in bots', `RSS after GC and settling · ${r.date.slice(0, 10)}`, steps),
    color: ['#1f77b4', '#2ca02c', '#ff7f0e', '#1f77b4', '#2ca02c', '#ff7f0e'],
    yAxis: [
      { type: 'value', name: 'process RSS (MB)' },
      { type: 'value', name: 'MB per bot', splitLine: { show: false } },
    ],
    series: [
      line('Botvisor RSS', r.ours, false),
      line(`Botvisor packed ×${r.packed.botsPerWorker} RSS`, r.packed.steps, false),
      line('naive RSS', r.naive, false),
      line('Botvisor MB per bot', r.ours, true),
      line(`Botvisor packed ×${r.packed.botsPerWorker} MB per bot`, r.packed.steps, true),
      line('naive MB per bot', r.naive, true),
    ],
  })
}

/** POST /api/messages at full speed: a thread per bot, packed, naive, and Discord's ceiling of 50 sends/s per bot. */
export function sendsChart(r: BenchResults): string {
  const steps = r.ours.map((step) => step.bots)
  const line = (name: string, rates: number[], dotted = false) => ({
    name,
    type: 'line' as const,
    symbolSize: 7,
    lineStyle: { type: dotted ? ('dotted' as const) : ('solid' as const), width: 2 },
    data: rates.map(Math.round),
  })
  return renderSvg({
    ...common(
      'Sends vs logged-in bots',
      `POST /api/messages, ${r.tools.throughput}, ${r.settings.connections} connections, ${r.settings.durationS} s per point · ${r.date.slice(0, 10)}`,
      steps,
    ),
    color: ['#1f77b4', '#2ca02c', '#ff7f0e', '#7f7f7f'],
    yAxis: { type: 'value', name: 'sends/s' },
    series: [
      line(
        'Botvisor, a thread per bot',
        r.ours.map((step) => step.max.send.rps),
      ),
      line(
        `Botvisor packed ×${r.packed.botsPerWorker}`,
        r.packed.steps.map((step) => step.send.rps),
      ),
      line(
        'naive',
        r.naive.map((step) => step.max.send.rps),
      ),
      line(
        "Discord's ceiling (50/s per bot)",
        steps.map((bots) => 50 * bots),
        true,
      ),
    ],
  })
}
