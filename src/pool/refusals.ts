import { AppError, fromRpcFailure, tokenRejected } from '../errors.ts'
import type { LoginFailure, Refusal } from './lifecycle.ts'

/** The lifecycle's reasons in the API's words: what a call or a login is told when the bot cannot serve it. */

export const unavailable = (message: string, retryAfterSeconds?: number) =>
  new AppError(
    503,
    'bot_unavailable',
    message,
    retryAfterSeconds ? { headers: { 'Retry-After': String(retryAfterSeconds) } } : {},
  )

/** What a call that cannot be served is told: the lifecycle's reason, in the API's words. */
export function refusalError(refusal: Refusal): AppError {
  switch (refusal.kind) {
    case 'restarting':
      return unavailable('The bot is restarting; retry shortly', 1)
    case 'failed':
      return unavailable(`The bot's worker failed (${refusal.lastError}); an admin must restart it`)
    case 'stopped':
      switch (refusal.cause) {
        case 'revoked':
          return tokenRejected()
        case 'released':
          return new AppError(401, 'unauthorized', 'The session ended: its bot was logged out; log in again')
        case 'removed':
          return new AppError(401, 'unauthorized', 'An admin stopped the bot of this session; log in again')
        case 'shutdown':
          return new AppError(503, 'shutting_down', 'The service is shutting down', { headers: { 'Retry-After': '1' } })
        case 'login_failed':
          return unavailable('The bot is not running: its login failed', 1)
      }
  }
}

export function loginError(failure: LoginFailure, startDeadlineMs: number): AppError {
  switch (failure.kind) {
    case 'rejected':
      return fromRpcFailure(failure.failure) // a 504 here is Discord's slowness, reported by the worker
    case 'hung':
      return new AppError(
        504,
        'bot_timeout',
        `The bot's worker did not answer within ${startDeadlineMs} ms while logging in`,
      )
    case 'broke':
      return unavailable('The bot worker stopped during login', 1)
    case 'stopped':
      return failure.cause === 'shutdown' ? refusalError(failure) : unavailable('The bot was stopped during login', 1)
  }
}
