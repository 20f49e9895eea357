import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env.ts'
import { AppError } from '../../errors.ts'
import { errorResponses, INTERNAL_ERROR } from '../schemas.ts'

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'getLiveness',
  tags: ['health'],
  summary: 'Liveness',
  description: 'The process answers; for a liveness probe.',
  security: [],
  responses: {
    200: { description: 'Alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } },
    ...INTERNAL_ERROR,
  },
})

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'getReadiness',
  tags: ['health'],
  summary: 'Readiness',
  description: 'Taking traffic; 503 once shutting down, for a readiness probe or a load balancer.',
  security: [],
  responses: {
    200: {
      description: 'Ready',
      content: { 'application/json': { schema: z.object({ status: z.literal('ready') }) } },
    },
    ...errorResponses({ 503: 'Shutting down: not taking new work' }),
  },
})

export function healthRoutes(isReady: () => boolean) {
  return new OpenAPIHono<AppEnv>()
    .openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(readyz, (c) => {
      if (!isReady()) throw new AppError(503, 'shutting_down', 'Shutting down: not taking new work')
      return c.json({ status: 'ready' as const }, 200)
    })
}
