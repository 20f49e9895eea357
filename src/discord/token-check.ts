import { AppError, tokenRejected } from '../errors.ts'
import type { InvalidRequestBudget } from './invalid-budget.ts'

/**
 * Asks Discord once, from the gateway thread, whether a well-formed token is real (GET /users/@me) before a
 * worker is spent on it. Every answer that Discord counts toward its invalid-request IP ban (401, 403, 429) is
 * added to the budget the moment it arrives; with the budget exhausted no call is made at all. Tokens Discord
 * rejected are remembered by hash for a while, so a client repeating one costs Discord nothing.
 */
export type TokenCheck = {
  /** Resolves when Discord accepted the token; otherwise throws the AppError to answer. */
  verify(token: string, botKey: string): Promise<void>
  /** Rejected tokens remembered right now (for tests and metrics). */
  rememberedRejections(): number
}

export type TokenCheckDeps = {
  apiUrl: string
  budget: InvalidRequestBudget
  timeoutMs: number
  rejectTtlMs: number
  /** Bounds the memory of rejected hashes whatever the flood: the oldest are forgotten first. */
  maxRemembered?: number
  /** The IP-wide guard (src/http/auth.ts): an error when no Discord call may be made now. */
  budgetRefusal: () => AppError | null
  now?: () => number
}

const INVALID_STATUSES = new Set([401, 403, 429])

export function createTokenCheck(deps: TokenCheckDeps): TokenCheck {
  const { apiUrl, budget, timeoutMs, rejectTtlMs, maxRemembered = 50_000 } = deps
  const now = deps.now ?? Date.now
  const url = `${apiUrl.replace(/\/+$/, '')}/v10/users/@me`
  /** botKey → when the rejection is forgotten; Map order is insertion order, so the first is the oldest. */
  const rejected = new Map<string, number>()
  /** One call per unknown token, whatever the number of concurrent logins with it. */
  const inFlight = new Map<string, Promise<void>>()
  /** Discord said 429: no call before this moment, for every token ('global') or for this one (its bot key). */
  const holds = new Map<string, number>()

  function remember(botKey: string) {
    rejected.delete(botKey)
    rejected.set(botKey, now() + rejectTtlMs)
    while (rejected.size > maxRemembered) {
      const oldest = rejected.keys().next().value
      if (oldest === undefined) break
      rejected.delete(oldest)
    }
  }

  function wasRejected(botKey: string): boolean {
    const until = rejected.get(botKey)
    if (until === undefined) return false
    if (until > now()) return true
    rejected.delete(botKey)
    return false
  }

  async function ask(token: string, botKey: string): Promise<void> {
    let res: Response
    try {
      res = await fetch(url, {
        headers: { Authorization: `Bot ${token}`, 'User-Agent': 'DiscordBot (botvisor, 1.0)' },
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      })
    } catch (err) {
      if (err instanceof DOMException && err.name === 'TimeoutError') {
        throw new AppError(504, 'discord_timeout', 'Discord did not answer the token check in time')
      }
      throw new AppError(502, 'discord_unavailable', 'Discord could not be reached; try again later')
    }
    // counted before anything else happens on this thread: the next guard check already sees it
    if (INVALID_STATUSES.has(res.status)) budget.add(1)
    const body = await res.text().catch(() => '')
    if (res.ok) return
    if (res.status === 401) {
      remember(botKey)
      throw tokenRejected()
    }
    if (res.status === 429) {
      const seconds = retryAfterSeconds(res, body)
      const global = res.headers.get('x-ratelimit-global') === 'true' || /"global"\s*:\s*true/.test(body)
      holds.set(global ? 'global' : botKey, now() + seconds * 1000)
      if (holds.size > maxRemembered) holds.delete(holds.keys().next().value ?? '')
      throw new AppError(429, 'rate_limited', 'Discord rate limit: retry later', {
        headers: { 'Retry-After': String(seconds) },
      })
    }
    if (res.status === 403) throw new AppError(403, 'forbidden', 'Discord refused this token')
    throw new AppError(502, 'discord_unavailable', 'Discord is unavailable; try again later')
  }

  return {
    async verify(token, botKey) {
      if (wasRejected(botKey)) throw tokenRejected()
      const shared = inFlight.get(botKey)
      if (shared) return shared
      const refused = deps.budgetRefusal()
      if (refused) throw refused
      const waitMs = Math.max(holds.get('global') ?? 0, holds.get(botKey) ?? 0) - now()
      if (waitMs > 0) {
        throw new AppError(429, 'rate_limited', 'Discord rate limit: retry later', {
          headers: { 'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))) },
        })
      }
      const check = ask(token, botKey).finally(() => inFlight.delete(botKey))
      inFlight.set(botKey, check)
      return check
    },
    rememberedRejections: () => rejected.size,
  }
}

/** Discord's Retry-After header (seconds), else its body's retry_after; at least one second. */
function retryAfterSeconds(res: Response, body: string): number {
  let seconds = Number(res.headers.get('retry-after'))
  if (!Number.isFinite(seconds) || seconds <= 0) {
    try {
      seconds = Number((JSON.parse(body) as { retry_after?: unknown }).retry_after)
    } catch {
      seconds = 1
    }
  }
  return Math.min(3600, Math.max(1, Math.ceil(Number.isFinite(seconds) ? seconds : 1)))
}
