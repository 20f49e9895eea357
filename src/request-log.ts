import { createMiddleware } from 'hono/factory'
import { routePath } from 'hono/route'
import type { AppEnv } from './env.ts'
import type { Logger } from './log.ts'

/** One line per finished request, from an allowlist of fields: never headers, bodies or whole session ids. */
export function requestLogger(root: Logger) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const startedAt = performance.now()
    c.set('log', root)
    await next()
    const status = c.res.status
    const line = {
      method: c.req.method,
      route: routePath(c, -1),
      status,
      ms: Math.round((performance.now() - startedAt) * 100) / 100,
    }
    const log = c.get('log')
    if (status >= 500) log.error(line, 'request')
    else log.info(line, 'request')
  })
}
