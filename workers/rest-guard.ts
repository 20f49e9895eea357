import { attachBudgetCounter, type BudgetCounter } from '../src/discord/invalid-budget.ts'
import type { BotStartOptions } from '../src/contract.ts'
import { failure } from './failures.ts'

/** Statuses Discord counts toward its per-IP invalid-request ban. */
export const INVALID_STATUSES = new Set([401, 403, 429])
/** Answers replayed from the refusal cache carry this header, so the telemetry does not count them as Discord's. */
export const REPLAYED_HEADER = 'x-botvisor-replayed'
/** Discord's refusals that stay true until the bot's permissions change (or the id appears, which ids never do). */
const CACHED_REFUSALS = new Set([403, 404])

type Fetch = (url: string, init: RequestInit) => Promise<Response>
type Refusal = { status: number; body: string; contentType: string; until: number }
/** A client walking unknown ids must not grow the cache without end: past this, the oldest goes. */
const MAX_REFUSALS = 1_000

export type RestGuard = {
  /** @discordjs/rest's `makeRequest`: every Discord call of this bot goes through here. */
  makeRequest: Fetch
  /** The bot's permissions may have changed: ask Discord again. */
  forgetRefusals(): void
  /** Logged in: from now on the bot's own share is enforced too (see below). */
  serving(): void
}

/**
 * Wraps the REST client's fetch. Before each call: refuse it when the IP-wide window or this bot's share is
 * full (the shared counter, checked synchronously, so the limit is overshot by at most the calls in flight).
 * After: count a 401/403/429 at once. A GET that Discord answered 403 or 404 is answered the same way, without
 * Discord, for `refusalCacheMs` per path (bot, route and id; the query does not change the answer).
 */
export function createRestGuard(
  options: Pick<BotStartOptions, 'invalidBudget' | 'refusalCacheMs'>,
  send: Fetch = (url, init) => fetch(url, init),
): RestGuard {
  const counter: BudgetCounter | null = options.invalidBudget ? attachBudgetCounter(options.invalidBudget) : null
  const refusals = new Map<string, Refusal>()
  // A login (a few calls, restarts bounded by the supervisor's intensity limit) passes the bot's own breaker, so
  // a bot that tripped it and then crashed comes back up, its reads still held off; the IP-wide guard holds all.
  let scope: 'ip' | 'all' = 'ip'
  const pathOf = (url: string) => {
    const query = url.indexOf('?')
    return query < 0 ? url : url.slice(0, query)
  }

  return {
    async makeRequest(url, init) {
      const method = (init.method ?? 'GET').toUpperCase()
      const key = method === 'GET' && options.refusalCacheMs > 0 ? pathOf(url) : null
      if (key !== null) {
        const cached = refusals.get(key)
        if (cached && cached.until > Date.now()) {
          return new Response(cached.body, {
            status: cached.status,
            headers: { 'content-type': cached.contentType, [REPLAYED_HEADER]: '1' },
          })
        }
        if (cached) refusals.delete(key)
      }
      const refused = counter?.refusal(Date.now(), scope)
      // thrown as data: @discordjs/rest rethrows a non-Error untouched, and guarded() turns it into the answer
      if (counter && refused) {
        throw {
          ...failure(refused === 'bot' ? 429 : 503, 0, `held off near Discord's invalid-request ban (${refused})`),
          retryAfterMs: counter.retryAfterMs(refused),
          guard: refused,
        }
      }
      const response = await send(url, init)
      if (INVALID_STATUSES.has(response.status)) counter?.count()
      if (key !== null && CACHED_REFUSALS.has(response.status)) {
        const body = await response.text()
        const contentType = response.headers.get('content-type') ?? 'application/json'
        if (refusals.size >= MAX_REFUSALS) refusals.delete(refusals.keys().next().value!)
        refusals.set(key, { status: response.status, body, contentType, until: Date.now() + options.refusalCacheMs })
        return new Response(body, { status: response.status, headers: response.headers })
      }
      return response
    },
    forgetRefusals: () => refusals.clear(),
    serving: () => {
      scope = 'all'
    },
  }
}
