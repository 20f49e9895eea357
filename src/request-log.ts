import { createMiddleware } from 'hono/factory'
import { routePath } from 'hono/route'
import type { AppEnv } from './env.ts'
import type { Logger } from './log.ts'
import type { Metrics } from './metrics.ts'

/** One line per finished request, from an allowlist of fields: never headers, bodies or whole session ids. */
export function requestLogger(root: Logger, metrics: Pick<Metrics, 'observeRequest'>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const startedAt = performance.now()
    c.set('log', root)
    await next()
    const status = c.res.status
    const ms = performance.now() - startedAt
    const route = routePath(c, -1)
    metrics.observeRequest(c.req.method, route, status, ms / 1000)
    const line = { method: c.req.method, route, status, ms: Math.round(ms * 100) / 100 }
    const log = c.get('log')
    if (status >= 500) log.error(line, 'request')
    else log.info(line, 'request')
  })
}
