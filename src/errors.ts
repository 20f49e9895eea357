import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { HTTPException } from 'hono/http-exception'
import type { RpcFailure } from './contract.ts'

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'invalid_token'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'bot_invalid_requests'
  | 'discord_unavailable'
  | 'discord_timeout'
  | 'outcome_unknown'
  | 'idempotency_key_reused'
  | 'bot_unavailable'
  | 'bot_timeout'
  | 'capacity_reached'
  | 'shutting_down'
  | 'internal'

export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    readonly publicMessage: string,
    readonly extra: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(publicMessage, { cause: extra.cause })
    this.name = 'AppError'
  }
}

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
}

/** Any thrown value → AppError; what is not ours or Hono's becomes a 500 whose details stay in the log. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'bad_request')
    // Hono's own messages (e.g. "Malformed JSON in request body") are safe to show; never a stack.
    const message = status === 415 ? 'Send the body as JSON with Content-Type: application/json' : err.message
    return new AppError(status, code, message || 'Bad request', { cause: err })
  }
  return new AppError(500, 'internal', 'Internal server error', { cause: err })
}

/** Discord refused the bot's token (REST 401, gateway 4004): the one wording, at login and on every later request. */
export const tokenRejected = (): AppError =>
  new AppError(401, 'unauthorized', 'Discord rejected the token; log in again')

/** What was sent cannot be a bot token (shape, characters, length): refused before it costs anything. */
export const invalidToken = (): AppError =>
  new AppError(401, 'invalid_token', 'This is not a Discord bot token (three base64url parts, the first a user id)')

/** The same error with more headers (say, rate-limit state) on its answer. */
export const withHeaders = (err: AppError, headers: Record<string, string>): AppError =>
  new AppError(err.status, err.code, err.publicMessage, {
    cause: err.extra.cause ?? err,
    headers: { ...headers, ...err.extra.headers },
  })

// Discord's JSON error codes we name to the caller (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
const NOT_FOUND_BY_DISCORD_CODE: Record<number, string> = {
  10003: 'Unknown channel',
  10004: 'Unknown guild',
  10007: 'Unknown member',
  10008: 'Unknown message',
  10013: 'Unknown user',
}
const FORBIDDEN_BY_DISCORD_CODE: Record<number, string> = {
  50001: 'Missing access: the bot cannot see this resource',
  50013: 'Missing permissions: the bot may not do this here',
  50005: 'Cannot edit a message authored by another user: a bot may only edit its own messages',
}
/**
 * Discord's 400s that name one thing wrong rather than a form (50035 keeps Discord's field tree). 10014: the
 * emoji is the request's own input, and Discord itself answers 400; a 404 would read as "no such message".
 */
const BAD_REQUEST_BY_DISCORD_CODE: Record<number, string> = {
  10014: 'Unknown emoji: not a unicode emoji Discord knows, or a custom emoji the bot cannot use',
}

/**
 * A send that got no answer in time, from Discord (`by` 'discord') or from its worker ('bot'): Discord may
 * have created the message or not. The nonce the send carried makes a retry with the same key safe.
 */
export function outcomeUnknown(
  by: 'discord' | 'bot',
  what: { done: string; safe: string } = {
    done: 'the message may or may not have been sent',
    safe: 'retrying with the same Idempotency-Key is safe (it cannot send the message twice)',
  },
): AppError {
  const who = by === 'discord' ? 'Discord' : 'The bot'
  return new AppError(504, 'outcome_unknown', `${who} did not answer in time: ${what.done}; ${what.safe}`)
}

/** Discord's answer, as the worker reported it → the error our API shows. One table for every route. */
/**
 * Discord bans an IP past 10 000 invalid requests (401, 403, 429) in 10 minutes. Near the IP-wide limit every
 * bot's Discord calls wait (503); a bot past its own share waits alone (429), its requests being the cause.
 */
export function invalidBudgetRefusal(guard: 'ip' | 'bot', retryAfterMs: number): AppError {
  const headers = { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) }
  if (guard === 'bot') {
    return new AppError(
      429,
      'bot_invalid_requests',
      "This bot made too many requests Discord refused (401, 403, 429) in 10 minutes; its Discord calls are held off to protect the service's IP",
      { headers },
    )
  }
  return new AppError(
    503,
    'discord_unavailable',
    "Too many invalid requests to Discord in 10 minutes; holding off to avoid Discord's IP ban",
    { headers },
  )
}

export function fromRpcFailure(failure: RpcFailure): AppError {
  const { status, discordCode, detail } = failure
  if (failure.guard) return invalidBudgetRefusal(failure.guard, failure.retryAfterMs ?? 60_000)
  if (status === 400) {
    return new AppError(
      400,
      'bad_request',
      BAD_REQUEST_BY_DISCORD_CODE[discordCode] ?? `Discord rejected the request: ${detail}`,
    )
  }
  if (status === 401) return tokenRejected()
  if (status === 403) {
    return new AppError(403, 'forbidden', FORBIDDEN_BY_DISCORD_CODE[discordCode] ?? detail)
  }
  if (status === 404) return new AppError(404, 'not_found', NOT_FOUND_BY_DISCORD_CODE[discordCode] ?? detail)
  if (status === 429) {
    const retryAfterSeconds = Math.max(1, Math.ceil((failure.retryAfterMs ?? 1000) / 1000))
    return new AppError(429, 'rate_limited', 'Discord rate limit: retry later', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    })
  }
  if (status === 504) return new AppError(504, 'discord_timeout', 'Discord did not answer in time')
  return new AppError(502, 'discord_unavailable', 'Discord is unavailable; try again later')
}
