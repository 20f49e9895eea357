import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env.ts'
import { AppError } from '../../errors.ts'
import { errorResponses } from '../schemas.ts'

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'Liveness: the process answers',
  responses: {
    200: { description: 'Alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } },
  },
})

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['health'],
  summary: 'Readiness: taking traffic (false while shutting down)',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: z.object({ status: z.literal('ready') }) } } },
    ...errorResponses(503),
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
