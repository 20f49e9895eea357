// from discord.js, not @discordjs/rest: discord.js loads that package's CommonJS build, whose classes
// are not the ESM build's, so instanceof against an ESM import would never match
import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js'
import type { RpcFailure, RpcResult } from '../src/contract.ts'

export const failure = (status: number, discordCode: number, detail: string, retryAfterMs?: number): RpcFailure =>
  retryAfterMs === undefined
    ? { ok: false, status, discordCode, detail }
    : { ok: false, status, discordCode, detail, retryAfterMs }

/** No answer from Discord at all: refused, reset, DNS. Undici and Bun spell these differently. */
function isNetworkFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  return (
    err.name === 'TypeError' ||
    (typeof code === 'string' &&
      /^(ECONN|ENOTFOUND|EAI_|ConnectionRefused|ConnectionClosed|FailedToOpenSocket)/.test(code))
  )
}

/**
 * Runs one API method and turns Discord's answers into data. Only Discord's message is kept:
 * a DiscordAPIError's url and requestBody may hold tokens and user content. Our own bugs rethrow.
 */
export async function guarded<T>(work: () => Promise<T>): Promise<RpcResult<T>> {
  try {
    return { ok: true, value: await work() }
  } catch (err) {
    return toFailure(err)
  }
}

/** Discord did not answer within the deadline: nothing tells whether it acted on the request. */
export const discordTimeout = (): RpcFailure => failure(504, 0, 'Discord did not answer in time')

/**
 * guarded(), bounded: past `deadlineMs` the answer is a 504 failure whatever discord.js is still doing, and the
 * signal aborts its requests. @discordjs/rest's rate-limit sleep does not watch the signal, and a request still
 * queued behind its bucket rejects with an error of its own ("Request aborted manually"), not an AbortError.
 */
export async function guardedWithin<T>(
  deadlineMs: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<RpcResult<T>> {
  const deadline = new AbortController()
  const { promise: late, resolve: giveUp } = Promise.withResolvers<RpcFailure>()
  const timer = setTimeout(() => {
    giveUp(discordTimeout()) // settled before the abort below can reject the work with its own error
    deadline.abort()
  }, deadlineMs)
  const working = guarded(() => work(deadline.signal))
  try {
    // the race also handles a rejection of the work that comes after the deadline: nobody waits for it then
    return await Promise.race([working, late])
  } finally {
    clearTimeout(timer)
  }
}

export function toFailure(err: unknown): RpcFailure {
  if (isRpcFailure(err)) return err // our own check, failing with Discord's codes: data, not a bug
  if (err instanceof DiscordAPIError) return failure(err.status, Number(err.code) || 0, err.message)
  if (err instanceof RateLimitError) return failure(429, 0, `rate limited on ${err.route}`, err.retryAfter)
  if (err instanceof HTTPError) return failure(err.status >= 500 ? 502 : err.status, 0, err.message)
  if (err instanceof Error && err.name === 'AbortError') return discordTimeout()
  if (isNetworkFailure(err)) return failure(502, 0, 'Discord could not be reached')
  throw err
}

export const isRpcFailure = (value: unknown): value is RpcFailure =>
  typeof value === 'object' && value !== null && 'ok' in value && value.ok === false
