import type { Stack } from './stack.ts'

/** One series' value from GET /metrics (METRICS_PUBLIC=1), 0 when it has no sample yet. */
export async function readMetric(stack: Stack, series: string): Promise<number> {
  const line = (await stack.get('/metrics')).text.split('\n').find((row) => row.startsWith(`${series} `))
  return line ? Number(line.split(' ')[1]) : 0
}
