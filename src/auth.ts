import { createMiddleware } from 'hono/factory'
import type { AppEnv } from './env.ts'
import { AppError } from './errors.ts'
import { sessionLabel } from './log.ts'
import type { BotPool } from './pool/pool.ts'
import type { SessionStore } from './sessions/store.ts'

/** `Authorization: <sessionId>` or `Authorization: Bearer <sessionId>`. */
export function readSessionId(header: string | undefined): string | undefined {
  const value = header?.trim()
  if (!value) return undefined
  const id = value.replace(/^Bearer\s+/i, '')
  // nanoid's alphabet; anything else cannot be one of ours, so skip the store.
  return /^[A-Za-z0-9_-]{21,64}$/.test(id) ? id : undefined
}

/** The caller's session → c.var.session, else 401. */
export function requireSession(sessions: SessionStore) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const sessionId = readSessionId(c.req.header('authorization'))
    if (!sessionId) throw new AppError(401, 'unauthorized', 'Missing session: send Authorization: <sessionId>')
    const session = await sessions.get(sessionId)
    if (!session) throw new AppError(401, 'unauthorized', 'Unknown or expired session: log in again')
    c.set('session', session)
    c.set('log', c.get('log').child({ session: sessionLabel(sessionId), bot: session.botId }))
    await next()
  })
}

/** The session's running bot → c.var.bot, else 503: its worker is gone. Runs after requireSession. */
export function requireBot(pool: BotPool) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const bot = pool.get(c.get('session').botKey)
    if (!bot || bot.state() === 'exited') {
      throw new AppError(503, 'bot_unavailable', 'The bot is unavailable: its worker stopped; log in again', {
        headers: { 'Retry-After': '1' },
      })
    }
    c.set('bot', bot)
    await next()
  })
}
