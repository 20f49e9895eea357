import { createMiddleware } from 'hono/factory'
import { routePath } from 'hono/route'
import type { AppEnv } from '../http/env.ts'
import type { Context } from 'hono'
import { sessionLabel, type Logger } from '../log.ts'
import type { Metrics } from './metrics.ts'

/** Which path answered: the synchronous short path (src/http/fast-reads.ts) or the full Hono app. */
export type AnsweredBy = 'short' | 'app'
export type RequestLine = {
  method: string
  route: string
  status: number
  ms: number
  via: AnsweredBy
  session?: string
  bot?: string
}
type Who = { sessionId: string; botId: string } | undefined

/** Writes a finished request's one log line, from an allowlist of fields: never headers, bodies or whole session ids. */
function writeLine(root: Logger, method: string, route: string, status: number, ms: number, via: AnsweredBy, who: Who) {
  // error only for our own bugs (500 internal): a 502/503/504 is Discord's or a worker's state, and a client can
  // cause it at will (a flood of junk wrote thousands of error lines); onError adds the throttled detail line
  const level = status === 500 ? 'error' : 'info'
  if (!root.isLevelEnabled(level)) return
  const line: RequestLine = { method, route, status, ms: Math.round(ms * 100) / 100, via }
  if (who) Object.assign(line, { session: sessionLabel(who.sessionId), bot: who.botId })
  root[level](line, 'request')
}

/** Counts a finished request and logs it. Both paths count and log through here, so they do it alike. */
export function recordRequest(
  root: Logger,
  metrics: Pick<Metrics, 'observeRequest'>,
  method: string,
  route: string,
  status: number,
  ms: number,
  via: AnsweredBy,
  who: Who,
) {
  metrics.observeRequest(method, route, status, ms / 1000)
  writeLine(root, method, route, status, ms, via, who)
}

/**
 * recordRequest for one method, route and status, fixed once: what a short path answers on every request of a
 * route (its 200s), counted without building the metric's key each time.
 */
export function requestRecorder(
  root: Logger,
  metrics: Pick<Metrics, 'requestObserver'>,
  method: string,
  route: string,
  status: number,
  via: AnsweredBy,
): (ms: number, who: Who) => void {
  const observe = metrics.requestObserver(method, route, status)
  return (ms, who) => {
    observe(ms / 1000)
    writeLine(root, method, route, status, ms, via, who)
  }
}

/** The full app's request logger: one line per finished request. */
export function requestLogger(root: Logger, metrics: Pick<Metrics, 'observeRequest'>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const startedAt = performance.now()
    await next()
    recordRequest(
      root,
      metrics,
      c.req.method,
      routePath(c, -1),
      c.res.status,
      performance.now() - startedAt,
      'app',
      c.get('session'),
    )
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
