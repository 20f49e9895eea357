import type { Registry } from 'prom-client'

const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

type Series = {
  method: string
  route: string
  status: string
  buckets: Float64Array
  count: number
  sumSeconds: number
}

/**
 * Requests by method, route template and status, with a latency histogram. Tallied in plain arrays on the
 * hot path and turned into Prometheus metrics only when scraped: prom-client's own counters hash their label
 * set on every call, which measured a quarter of the cached-read path's own cost.
 */
export function createRequestMetrics(registry: Registry) {
  const series = new Map<string, Series>()

  registry.registerMetric({
    name: 'botvisor_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    type: 'counter',
    get: async () => ({
      name: 'botvisor_http_requests_total',
      help: 'HTTP requests by method, route template and status',
      type: 'counter',
      aggregator: 'sum',
      values: [...series.values()].map(({ method, route, status, count }) => ({
        labels: { method, route, status },
        value: count,
      })),
    }),
  } as unknown as Parameters<Registry['registerMetric']>[0])

  registry.registerMetric({
    name: 'botvisor_http_request_duration_seconds',
    help: 'HTTP request latency by route template',
    type: 'histogram',
    get: async () => ({
      name: 'botvisor_http_request_duration_seconds',
      help: 'HTTP request latency by route template',
      type: 'histogram',
      aggregator: 'sum',
      values: latencyValues(),
    }),
  } as unknown as Parameters<Registry['registerMetric']>[0])

  /** One histogram per method and route: the statuses of a route are summed, as the labels promise. */
  function latencyValues() {
    const byRoute = new Map<
      string,
      { method: string; route: string; buckets: Float64Array; count: number; sum: number }
    >()
    for (const one of series.values()) {
      const key = `${one.method} ${one.route}`
      const total = byRoute.get(key) ?? {
        method: one.method,
        route: one.route,
        buckets: new Float64Array(LATENCY_BUCKETS_S.length),
        count: 0,
        sum: 0,
      }
      for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) total.buckets[i]! += one.buckets[i]!
      total.count += one.count
      total.sum += one.sumSeconds
      byRoute.set(key, total)
    }
    return [...byRoute.values()].flatMap(({ method, route, buckets, count, sum }) => {
      let cumulative = 0
      const metricName = 'botvisor_http_request_duration_seconds'
      return [
        ...LATENCY_BUCKETS_S.map((le, i) => {
          cumulative += buckets[i]!
          return { metricName: `${metricName}_bucket`, labels: { method, route, le }, value: cumulative }
        }),
        { metricName: `${metricName}_bucket`, labels: { method, route, le: '+Inf' }, value: count },
        { metricName: `${metricName}_sum`, labels: { method, route }, value: sum },
        { metricName: `${metricName}_count`, labels: { method, route }, value: count },
      ]
    })
  }

  function seriesOf(method: string, route: string, status: number): Series {
    const key = `${method} ${route} ${status}`
    let one = series.get(key)
    if (!one) {
      one = {
        method,
        route,
        status: String(status),
        buckets: new Float64Array(LATENCY_BUCKETS_S.length),
        count: 0,
        sumSeconds: 0,
      }
      series.set(key, one) // bounded: routes are templates, statuses a handful
    }
    return one
  }

  function observe(one: Series, seconds: number) {
    one.count += 1
    one.sumSeconds += seconds
    for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
      if (seconds <= LATENCY_BUCKETS_S[i]!) {
        one.buckets[i]! += 1
        break
      }
    }
  }

  return {
    observeRequest(method: string, route: string, status: number, seconds: number) {
      observe(seriesOf(method, route, status), seconds)
    },
    /**
     * observeRequest with the labels fixed once: a short path's per-route counter skips building and hashing the
     * series key on every request. The series appears at its first observation, as observeRequest's would.
     */
    requestObserver(method: string, route: string, status: number): (seconds: number) => void {
      let one: Series | undefined
      return (seconds) => observe((one ??= seriesOf(method, route, status)), seconds)
    },
  }
}
