import { invalidBudgetError } from './auth.ts'
import { requestRecorder } from '../observability/request-log.ts'
import type { BotHandle } from '../pool/bot-types.ts'
import { MEMBERS_LIMIT, MESSAGES_LIMIT, readLimit, SNOWFLAKE } from './query.ts'
import { nextLink } from './routes/router.ts'
import { JSON_HEADERS, sessionBot, splitUrl, type ShortPathDeps } from './short-path.ts'

const SERVING = new Set(['ready', 'reconnecting', 'restarting'])

/**
 * The values of the query's keys, in the order of `keys` (undefined: absent), or null when a key repeats, is not
 * one the route knows, or anything is percent- or plus-encoded (ids and limits never are; the full app decodes the
 * rest). Cheaper than URLSearchParams, and than splitting: one array per request.
 */
export function readQuery(query: string, keys: readonly string[]): Array<string | undefined> | null {
  const values: Array<string | undefined> = new Array(keys.length).fill(undefined)
  if (query === '') return values
  if (query.includes('%') || query.includes('+')) return null
  for (let start = 0; start <= query.length; ) {
    let end = query.indexOf('&', start)
    if (end < 0) end = query.length
    const equals = query.indexOf('=', start)
    const keyEnd = equals < 0 || equals > end ? end : equals
    const index = keys.indexOf(query.slice(start, keyEnd))
    if (index < 0 || values[index] !== undefined) return null
    values[index] = keyEnd === end ? '' : query.slice(keyEnd + 1, end)
    start = end + 1
  }
  return values
}

/** A read's 200, or null: the full app answers (and says what is wrong, if anything is). */
type ShortRead = (query: string, url: string, bot: BotHandle) => Response | null

const CHANNELS_QUERY = ['guildId']
const MESSAGES_QUERY = ['channelId', 'limit']
const MEMBERS_QUERY = ['guildId', 'limit', 'after']

const ok = (body: string, headers: Headers = JSON_HEADERS) => new Response(body, { status: 200, headers })
const withLink = (link: Record<string, string>): Headers => {
  if (!link.link) return JSON_HEADERS
  const headers = new Headers(JSON_HEADERS)
  headers.set('Link', link.link)
  return headers
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

  const reads: Record<string, ShortRead> = {
    '/api/guilds': (query, _url, bot) => {
      const body = query === '' ? bot.cache.guilds() : null
      return body === null ? null : ok(body)
    },
    '/api/channels': (query, _url, bot) => {
      const values = readQuery(query, CHANNELS_QUERY)
      const guildId = values?.[0] ?? null
      if (query !== '' && (guildId === null || !SNOWFLAKE.test(guildId))) return null
      try {
        const body = bot.cache.channels(guildId)
        return body === null ? null : ok(body)
      } catch {
        return null // a 400 or 403: the full app says it
      }
    },
    '/api/messages': (query, url, bot) => {
      const [channelId, rawLimit] = readQuery(query, MESSAGES_QUERY) ?? []
      const limit = readLimit(rawLimit, MESSAGES_LIMIT)
      if (!channelId || !SNOWFLAKE.test(channelId) || limit === null) return null
      if (invalidBudgetError(budget)) return null
      const page = bot.cache.messages(channelId, limit)
      return page && ok(page.body, withLink(nextLink(url, 'before', page.nextCursor, deps.publicUrl)))
    },
    '/api/members': (query, url, bot) => {
      const values = readQuery(query, MEMBERS_QUERY)
      if (!values) return null
      const [guildId, rawLimit, after = null] = values
      const limit = readLimit(rawLimit, MEMBERS_LIMIT)
      if (!guildId || !SNOWFLAKE.test(guildId) || (after !== null && !SNOWFLAKE.test(after)) || limit === null)
        return null
      if (invalidBudgetError(budget) || bot.cache.inGuild(guildId) !== true) return null
      const page = bot.cache.members({ guildId, limit, after })
      return page && ok(page.body, withLink(nextLink(url, 'after', page.nextCursor, deps.publicUrl)))
    },
  }
  // one lookup finds a path's read and its counter (labels fixed: the short path only answers 200)
  const routes = new Map(
    Object.entries(reads).map(([path, read]) => [
      path,
      { read, record: requestRecorder(log, metrics, 'GET', path, 200, 'short') },
    ]),
  )

  // Synchronous on purpose: Bun 1.4.4 writes a response that completes after an await in many small sends
  // (oven-sh/bun#41341); on the request's own tick it leaves in one.
  return function fastRead(request: Request): Response | undefined {
    if (request.method !== 'GET') return undefined
    const url = request.url
    const { path, query } = splitUrl(url)
    const route = routes.get(path)
    if (!route) return undefined
    if (deps.corsEnabled && request.headers.has('origin')) return undefined
    const startedAt = performance.now()
    const found = sessionBot(request, sessions, pool)
    if (!found || !SERVING.has(found.bot.state())) return undefined
    const response = route.read(query, url, found.bot)
    if (!response) return undefined
    route.record(performance.now() - startedAt, found.session)
    return response
  }
}
