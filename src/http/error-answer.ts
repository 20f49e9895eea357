import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { toAppError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { createLogThrottle } from '../observability/log-throttle.ts'

/** An error as the client gets it: status, `{error, code}` and any headers it carries (Retry-After, Allow...). */
export type ErrorAnswer = {
  status: ContentfulStatusCode
  body: { error: string; code: string }
  headers: Record<string, string>
}
/** The request an error answers, as the log names it: never its headers or body. */
export type FailedRequest = { method: string; route: string; who: { session?: string; bot?: string } }
export type AnswerError = (err: unknown, request: FailedRequest) => ErrorAnswer

/**
 * Maps any error to its answer and writes its log line: one place for the full app's onError and the short
 * path's send (fast-sends.ts), with one throttle, so both log and answer an error alike.
 */
export function createErrorAnswers(log: Logger, repeatIntervalMs: number): AnswerError {
  const quiet = createLogThrottle(log, repeatIntervalMs)
  return (err, { method, route, who }) => {
    const e = toAppError(err)
    // a stack only for our own bugs; what a client or Discord caused is a short line, once per key per interval
    if (e.code === 'internal')
      log.error({ err, code: e.code, ...who }, 'request failed') // the stack stays in the log
    else {
      const fields = { code: e.code, status: e.status, route, ...who }
      quiet.write(
        e.status >= 500 ? 'warn' : 'info',
        `${e.status} ${e.code} ${method} ${route}`,
        fields,
        e.publicMessage,
      )
    }
    // RFC 9110 §15.5.2: a 401 names the scheme that would work; sessions and the admin token are both bearer-like
    const headers = e.status === 401 ? { 'WWW-Authenticate': 'Bearer', ...e.extra.headers } : { ...e.extra.headers }
    return { status: e.status, body: { error: e.publicMessage, code: e.code }, headers }
  }
}
