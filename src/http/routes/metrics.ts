import { createRoute, z } from '@hono/zod-openapi'
import type { Metrics } from '../../observability/metrics.ts'
import { errorResponses } from '../schemas.ts'
import { createRouter } from './router.ts'

/** GET /metrics: Prometheus text, behind the admin token unless METRICS_PUBLIC=1. */
export function metricsRoutes(metrics: Metrics, isPublic: boolean) {
  const route = createRoute({
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    tags: ['admin'],
    summary: 'Prometheus metrics',
    description:
      'Requests, workers by state, restarts, RPC latency, Discord calls and the process defaults, in the Prometheus text format.',
    security: isPublic ? [] : [{ admin: [] }],
    responses: {
      200: {
        description: 'Prometheus text exposition format 0.0.4',
        content: { 'text/plain': { schema: z.string().openapi({ example: 'botvisor_workers{state="ready"} 1' }) } },
      },
      ...(isPublic
        ? {}
        : errorResponses({ 401: 'Missing or wrong admin token (Authorization: Bearer <ADMIN_TOKEN>)' })),
    },
  })
  return createRouter().openapi(route, async (c) => {
    c.header('content-type', metrics.registry.contentType)
    return c.text(await metrics.registry.metrics(), 200)
  })
}
