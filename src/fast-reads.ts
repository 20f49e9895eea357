import { readSessionId } from './auth.ts'
import type { Logger } from './log.ts'
import type { Metrics } from './metrics.ts'
import type { BotPool } from './pool/pool.ts'
import { sessionLabel } from './log.ts'
import type { SessionStore } from './sessions/store.ts'

/** What Hono's secureHeaders() sets by default; a test holds the two paths to the same headers. */
const SECURITY_HEADERS: [string, string][] = [
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
]
const RESPONSE_HEADERS: [string, string][] = [['Content-Type', 'application/json'], ...SECURITY_HEADERS]
const SNOWFLAKE = /^\d{17,20}$/

export type FastReadDeps = { pool: BotPool; sessions: SessionStore; metrics: Metrics; log: Logger; corsEnabled: boolean }

/**
 * GET /api/guilds and GET /api/channels answered straight from the bot's cached body, without the
 * middleware chain: the hottest reads of the API cost a session lookup and a Map read. Anything out of
 * the ordinary (no or unknown session, a bot not serving, a query it does not know, a guild it has not
 * cached, CORS) returns undefined, and the full app answers, so every error and rule lives in one place.
 */
export function createFastReads(deps: FastReadDeps) {
  const { pool, sessions, metrics, log } = deps

  function bodyFor(path: string, query: string, botKey: string): string | null {
    const bot = pool.get(botKey)
    const state = bot?.state()
    if (!bot || (state !== 'ready' && state !== 'reconnecting' && state !== 'restarting')) return null
    if (path === '/api/guilds') return query === '' ? bot.cache.guilds() : null
    if (query !== '' && !(query.startsWith('guildId=') && SNOWFLAKE.test(query.slice(8)))) return null
    try {
      return bot.cache.channels(query === '' ? null : query.slice(8))
    } catch {
      return null // a 400 or 404: the full app says it
    }
  }

  return async function fastRead(request: Request): Promise<Response | undefined> {
    if (request.method !== 'GET') return undefined
    const url = request.url
    const pathStart = url.indexOf('/', url.indexOf('//') + 2)
    const queryStart = url.indexOf('?', pathStart)
    const path = queryStart < 0 ? url.slice(pathStart) : url.slice(pathStart, queryStart)
    if (path !== '/api/channels' && path !== '/api/guilds') return undefined
    if (deps.corsEnabled && request.headers.has('origin')) return undefined
    const startedAt = performance.now()
    const sessionId = readSessionId(request.headers.get('authorization') ?? undefined)
    const session = sessionId ? await sessions.get(sessionId) : undefined
    if (!session) return undefined
    const body = bodyFor(path, queryStart < 0 ? '' : url.slice(queryStart + 1), session.botKey)
    if (body === null) return undefined

    const response = new Response(body, { status: 200, headers: RESPONSE_HEADERS })
    const ms = performance.now() - startedAt
    metrics.observeRequest('GET', path, 200, ms / 1000)
    if (log.isLevelEnabled('info')) {
      log.info({ method: 'GET', route: path, status: 200, ms: Math.round(ms * 100) / 100, session: sessionLabel(session.sessionId), bot: session.botId }, 'request')
    }
    return response
  }
}
