import { invalidBudgetError } from './auth.ts'
import { recordRequest } from '../observability/request-log.ts'
import type { BotHandle } from '../pool/bot-types.ts'
import { MEMBERS_LIMIT, MESSAGES_LIMIT, readLimit, SNOWFLAKE } from './query.ts'
import { nextLink } from './routes/router.ts'
import { JSON_HEADERS, sessionBot, splitUrl, type ShortPathDeps } from './short-path.ts'

const withLink = (link: Record<string, string>): Headers => {
  if (!link.link) return JSON_HEADERS
  const headers = new Headers(JSON_HEADERS)
  headers.set('Link', link.link)
  return headers
}
const SERVING = new Set(['ready', 'reconnecting', 'restarting'])
const SHORT_PATHS = new Set(['/api/guilds', '/api/channels', '/api/messages', '/api/members'])

type Answer = { body: string; headers: Headers }

/**
 * The query as a map, or null when a key repeats, is not one the route knows, or anything is percent- or
 * plus-encoded (ids and limits never are; the full app decodes the rest). Cheaper than URLSearchParams.
 */
function readQuery(query: string, allowed: readonly string[]): Map<string, string> | null {
  const params = new Map<string, string>()
  if (query === '') return params
  if (query.includes('%') || query.includes('+')) return null
  for (const pair of query.split('&')) {
    const equals = pair.indexOf('=')
    const key = equals < 0 ? pair : pair.slice(0, equals)
    if (!allowed.includes(key) || params.has(key)) return null
    params.set(key, equals < 0 ? '' : pair.slice(equals + 1))
  }
  return params
}

/**
 * GET /api/guilds, /api/channels, the newest /api/messages and /api/members pages answered from bodies the gateway
 * already holds, without the middleware chain and on the request's own tick: the hottest reads cost a session
 * lookup and a Map read. It only ever answers 200: anything out of the ordinary (no or unknown session, a session the store
 * cannot tell at once, a bot not serving, a query it does not know or that breaks a rule, nothing cached, CORS)
 * returns undefined and the full app answers, so every error lives there. The rules it does check (ids, limits,
 * the invalid-request budget, the security headers, the log line) are the full app's own definitions.
 */
export function createFastReads(deps: ShortPathDeps) {
  const { pool, sessions, metrics, log, budget } = deps

  function answer(path: string, query: string, url: string, bot: BotHandle): Answer | null {
    switch (path) {
      case '/api/guilds': {
        const body = query === '' ? bot.cache.guilds() : null
        return body === null ? null : { body, headers: JSON_HEADERS }
      }
      case '/api/channels': {
        const guildId = readQuery(query, ['guildId'])?.get('guildId') ?? null
        if (query !== '' && (guildId === null || !SNOWFLAKE.test(guildId))) return null
        try {
          const body = bot.cache.channels(guildId)
          return body === null ? null : { body, headers: JSON_HEADERS }
        } catch {
          return null // a 400 or 403: the full app says it
        }
      }
      case '/api/messages': {
        const params = readQuery(query, ['channelId', 'limit'])
        const channelId = params?.get('channelId')
        const limit = readLimit(params?.get('limit'), MESSAGES_LIMIT)
        if (!channelId || !SNOWFLAKE.test(channelId) || limit === null) return null
        if (invalidBudgetError(budget)) return null
        const page = bot.cache.messages(channelId, limit)
        if (!page) return null
        return { body: page.body, headers: withLink(nextLink(url, 'before', page.nextCursor, deps.publicUrl)) }
      }
      case '/api/members': {
        const params = readQuery(query, ['guildId', 'limit', 'after'])
        const guildId = params?.get('guildId')
        const after = params?.get('after') ?? null
        const limit = readLimit(params?.get('limit'), MEMBERS_LIMIT)
        if (!guildId || !SNOWFLAKE.test(guildId) || (after !== null && !SNOWFLAKE.test(after)) || limit === null)
          return null
        if (invalidBudgetError(budget) || bot.cache.inGuild(guildId) !== true) return null
        const page = bot.cache.members({ guildId, limit, after })
        if (!page) return null
        return { body: page.body, headers: withLink(nextLink(url, 'after', page.nextCursor, deps.publicUrl)) }
      }
      default:
        return null
    }
  }

  // Synchronous on purpose: Bun 1.4.4 writes a response that completes after an await in many small sends
  // (oven-sh/bun#41341); on the request's own tick it leaves in one.
  return function fastRead(request: Request): Response | undefined {
    if (request.method !== 'GET') return undefined
    const url = request.url
    const { path, query } = splitUrl(url)
    if (!SHORT_PATHS.has(path)) return undefined
    if (deps.corsEnabled && request.headers.has('origin')) return undefined
    const startedAt = performance.now()
    const found = sessionBot(request, sessions, pool)
    if (!found || !SERVING.has(found.bot.state())) return undefined
    const { session, bot } = found
    const answered = answer(path, query, url, bot)
    if (!answered) return undefined

    const response = new Response(answered.body, { status: 200, headers: answered.headers })
    recordRequest(log, metrics, 'GET', path, 200, performance.now() - startedAt, 'short', session)
    return response
  }
}
