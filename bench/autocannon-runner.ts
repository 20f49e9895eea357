import autocannon from 'autocannon'
import type { LoadSpec } from './load.ts'

/**
 * `bun bench/autocannon-runner.ts '<LoadSpec JSON>'`: autocannon in a process of its own (its JS would otherwise
 * compete with the orchestrator), printing one JSON line. Used for the fixed-rate runs (`overallRate`; plain wrk
 * cannot hold a rate), and for throughput too when wrk is not installed.
 */
const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec
let next = 0
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationS,
  ...(spec.ratePerSecond ? { overallRate: spec.ratePerSecond } : {}),
  timeout: 10,
  requests: [
    {
      method: spec.method,
      // round robin over the listed requests, one per request, as the wrk script does
      setupRequest: (request) => {
        next = (next + 1) % spec.requests.length
        const { session, path, body } = spec.requests[next] ?? { session: '', path: '/' }
        const headers = {
          ...request.headers,
          authorization: session,
          ...(body ? { 'content-type': 'application/json' } : {}),
        }
        return { ...request, path, headers, ...(body ? { body } : {}) }
      },
    },
  ],
})
process.stdout.write(
  `BENCH_JSON ${JSON.stringify({
    requests: result.requests.total,
    durationUs: result.duration * 1e6,
    p50Us: result.latency.p50 * 1000,
    p99Us: result.latency.p99 * 1000,
    maxUs: result.latency.max * 1000,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  })}\n`,
)
