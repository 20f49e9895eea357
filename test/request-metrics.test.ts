import { describe, expect, test } from 'bun:test'
import { Registry } from 'prom-client'
import { createRequestMetrics } from '../src/observability/request-metrics.ts'

describe('request metrics', () => {
  test('count by method, route and status, with a cumulative latency histogram per route', async () => {
    const registry = new Registry()
    const { observeRequest: observe } = createRequestMetrics(registry)
    observe('GET', '/api/guilds', 200, 0.0004)
    observe('GET', '/api/guilds', 200, 0.003)
    observe('GET', '/api/guilds', 401, 0.0002)
    observe('POST', '/api/auth/login', 200, 7)
    const text = await registry.metrics()
    expect(text).toContain('botvisor_http_requests_total{method="GET",route="/api/guilds",status="200"} 2')
    expect(text).toContain('botvisor_http_requests_total{method="GET",route="/api/guilds",status="401"} 1')
    expect(text).toContain(
      'botvisor_http_request_duration_seconds_bucket{method="GET",route="/api/guilds",le="0.0005"} 2',
    )
    expect(text).toContain(
      'botvisor_http_request_duration_seconds_bucket{method="GET",route="/api/guilds",le="0.005"} 3',
    )
    expect(text).toContain(
      'botvisor_http_request_duration_seconds_bucket{method="POST",route="/api/auth/login",le="+Inf"} 1',
    )
    expect(text).toContain(
      'botvisor_http_request_duration_seconds_bucket{method="POST",route="/api/auth/login",le="5"} 0',
    )
    expect(text).toContain('botvisor_http_request_duration_seconds_count{method="GET",route="/api/guilds"} 3')
    expect(text).toMatch(/botvisor_http_request_duration_seconds_sum\{method="GET",route="\/api\/guilds"\} 0\.0036/)
    expect(text).toContain('# TYPE botvisor_http_request_duration_seconds histogram')
  })

  test('a fixed-label observer (the short paths) counts into the same series, which appears at its first request', async () => {
    const registry = new Registry()
    const { observeRequest, requestObserver } = createRequestMetrics(registry)
    const shortGuilds = requestObserver('GET', '/api/guilds', 200)
    expect(await registry.metrics()).not.toContain('route="/api/guilds"')
    shortGuilds(0.0001)
    observeRequest('GET', '/api/guilds', 200, 0.002)
    shortGuilds(0.0003)
    const text = await registry.metrics()
    expect(text).toContain('botvisor_http_requests_total{method="GET",route="/api/guilds",status="200"} 3')
    expect(text).toContain(
      'botvisor_http_request_duration_seconds_bucket{method="GET",route="/api/guilds",le="0.0005"} 2',
    )
    expect(text).toContain('botvisor_http_request_duration_seconds_count{method="GET",route="/api/guilds"} 3')
  })
})
