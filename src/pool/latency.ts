/** The last `size` durations, for p50/p99 in the admin view (Prometheus gets a histogram instead). */
export function createLatencyWindow(size = 512) {
  const samples = new Float64Array(size)
  let count = 0
  return {
    record(ms: number) {
      samples[count % size] = ms
      count += 1
    },
    percentile(p: number): number | null {
      const filled = Math.min(count, size)
      if (filled === 0) return null
      const sorted = samples.slice(0, filled).sort()
      return sorted[Math.min(filled - 1, Math.floor((p / 100) * filled))] ?? null
    },
  }
}
