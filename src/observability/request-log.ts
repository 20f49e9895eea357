import { createMiddleware } from 'hono/factory'
import { routePath } from 'hono/route'
import type { AppEnv } from '../http/env.ts'
import type { Context } from 'hono'
import { sessionLabel, type Logger } from '../log.ts'
import type { Metrics } from './metrics.ts'

/** One line per finished request, from an allowlist of fields: never headers, bodies or whole session ids. */
export function requestLogger(root: Logger, metrics: Pick<Metrics, 'observeRequest'>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const startedAt = performance.now()
    await next()
    const status = c.res.status
    const ms = performance.now() - startedAt
    const route = routePath(c, -1)
    metrics.observeRequest(c.req.method, route, status, ms / 1000)
    const line = { method: c.req.method, route, status, ms: Math.round(ms * 100) / 100, ...sessionFields(c) }
    if (status >= 500) root.error(line, 'request')
    else root.info(line, 'request')
  })
}

/**
 * Who the request was for, as logs may show it: a short session label and the bot's id. Built only when a
 * line is written, rather than a child logger per request.
 */
export function sessionFields(c: Context<AppEnv>): { session?: string; bot?: string } {
  const session = c.get('session')
  return session ? { session: sessionLabel(session.sessionId), bot: session.botId } : {}
}
