import { createMiddleware } from 'hono/factory'
import type { AppEnv } from './env.ts'
import type { InvalidRequestBudget } from '../discord/invalid-budget.ts'
import { AppError, invalidBudgetRefusal, tokenRejected } from '../errors.ts'
import type { BotPool } from '../pool/pool.ts'
import type { SessionStore } from '../sessions/store.ts'

// nanoid's alphabet; anything else cannot be one of ours, so the store is not asked (it would hash it).
const SESSION_ID = /^[A-Za-z0-9_-]{21,64}$/

/** `Authorization: <sessionId>` or `Authorization: Bearer <sessionId>`. */
export function readSessionId(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  if (SESSION_ID.test(header)) return header // the usual header, tested without building a string
  const id = header.trim().replace(/^Bearer\s+/i, '')
  return SESSION_ID.test(id) ? id : undefined
}

/** The caller's session → c.var.session, else 401. */
export function requireSession(sessions: SessionStore) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization')
    if (!header?.trim()) throw new AppError(401, 'unauthorized', 'Missing session: send Authorization: <sessionId>')
    // a header that cannot be one of our ids is as unknown as an expired one
    const sessionId = readSessionId(header)
    const session = sessionId ? await sessions.get(sessionId) : undefined
    if (!session) throw new AppError(401, 'unauthorized', 'Unknown or expired session: log in again')
    c.set('session', session)
    await next()
  })
}

/** The session's bot → c.var.bot. Runs after requireSession. */
export function requireBot(pool: BotPool, sessions: SessionStore) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const { botKey, sessionId, workerId } = c.get('session')
    const bot = pool.get(botKey)
    // another instance of the bot holds no lease for this session: the session's own instance is gone
    if (!bot || bot.workerId !== workerId) {
      // Discord revoked the token: the session stays until logout, so each of its requests says why
      if (pool.wasRevoked(botKey)) throw tokenRejected()
      // its sessions were ended while this one was in flight
      await sessions.delete(sessionId)
      throw new AppError(401, 'unauthorized', 'The bot of this session is no longer running; log in again')
    }
    // failed, stopping: guild and channel lists could still come from the cache, but they would hide the outage
    const refusal = bot.refusal()
    if (refusal) throw refusal
    c.set('bot', bot)
    await next()
  })
}

/**
 * Discord bans an IP past 10 000 invalid requests in 10 minutes: once near, stop calling it for a while.
 * The error to answer, or null while the budget lasts; the middleware and the short path both ask here.
 */
export function invalidBudgetError(budget: InvalidRequestBudget): AppError | null {
  if (!budget.exhausted()) return null
  return invalidBudgetRefusal('ip', budget.retryAfterMs())
}

export function guardInvalidBudget(budget: InvalidRequestBudget) {
  return createMiddleware<AppEnv>(async (_c, next) => {
    const refused = invalidBudgetError(budget)
    if (refused) throw refused
    await next()
  })
}
