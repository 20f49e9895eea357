import { createRoute } from '@hono/zod-openapi'
import { nanoid } from 'nanoid'
import { invalidBudgetError, requireBot, requireSession } from '../auth.ts'
import type { Config } from '../../config.ts'
import type { InvalidRequestBudget } from '../../discord/invalid-budget.ts'
import { createTokenCheck } from '../../discord/token-check.ts'
import { isTokenShaped } from '../../discord/token-shape.ts'
import { invalidToken, toAppError, withHeaders } from '../../errors.ts'
import { clientAddress, createLoginLimits } from '../login-limits.ts'
import { sessionLabel, type Logger } from '../../log.ts'
import { sessionFields } from '../../observability/request-log.ts'
import { botKeyOf, type BotPool } from '../../pool/pool.ts'
import {
  ERRORS,
  errorResponses,
  knownPing,
  LoginBody,
  LoginResponse,
  MessageResponse,
  SessionInfo,
} from '../schemas.ts'
import type { SessionStore } from '../../sessions/store.ts'
import { createRouter } from './router.ts'

/** draft-ietf-httpapi-ratelimit-headers-11: the login policy and the client's state in it. */
const RATE_LIMIT_HEADERS = {
  'RateLimit-Policy': {
    description: 'The login limit per client IP: `"login";q=<burst>;w=<seconds to refill it>`',
    schema: { type: 'string' as const },
    required: true,
  },
  RateLimit: {
    description: 'What is left of it: `"login";r=<attempts left>;t=<seconds until full>`',
    schema: { type: 'string' as const },
    required: true,
  },
}

/** Every login answer past the limiter carries them; a body refused before (400, 413, 415) may not. */
function withRateLimitHeaders<T extends Record<string | number, unknown>>(responses: T): T {
  const out: Record<string | number, unknown> = { ...responses }
  for (const [status, response] of Object.entries(responses)) {
    if (!response || typeof response !== 'object' || '$ref' in response) continue
    const always = !['400', '413', '415'].includes(status)
    const headers = Object.fromEntries(
      Object.entries(RATE_LIMIT_HEADERS).map(([name, header]) => [name, { ...header, required: always }]),
    )
    const own = (response as { headers?: Record<string, unknown> }).headers
    out[status] = { ...response, headers: { ...own, ...headers } }
  }
  return out as T
}

const login = createRoute({
  method: 'post',
  path: '/api/auth/login',
  operationId: 'login',
  tags: ['auth'],
  summary: 'Start (or join) a bot session with its token',
  description:
    "Starts the bot's worker, or joins the running one (one gateway connection per token, whatever the number of sessions), and answers once Discord's READY arrived. " +
    'What cannot be a bot token is refused at once; a new token is checked with Discord once (GET /users/@me) before a worker is started, and a token Discord rejected is refused from memory for REJECTED_TOKEN_TTL_MS. ' +
    'Attempts are limited per client IP (a token bucket where a failed attempt costs LOGIN_FAILURE_COST units, a good one 1); every answer carries `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers).',
  security: [],
  request: {
    body: { required: true, description: "The bot's token", content: { 'application/json': { schema: LoginBody } } },
  },
  responses: {
    200: {
      description: 'Logged in',
      headers: RATE_LIMIT_HEADERS,
      content: { 'application/json': { schema: LoginResponse } },
    },
    ...withRateLimitHeaders(
      errorResponses({
        400: ERRORS.body400,
        401: 'Not a bot token (`invalid_token`: wrong shape, characters or length), or Discord rejected the token (`unauthorized`)',
        403: 'Discord refused the token (403)',
        413: ERRORS.body413,
        415: ERRORS.body415,
        429: 'Too many login attempts, or logins in progress, from this client IP; Discord rate-limited the login; or the bot already has MAX_SESSIONS_PER_BOT sessions (`capacity_reached`; its Retry-After of 60 s is a hint: a place frees when a session ends)',
        502: ERRORS.discord502,
        503: "MAX_BOTS bots already run (capacity_reached, with Retry-After); Discord calls are held off near Discord's invalid-request ban (with Retry-After); the bot did not start within LOGIN_WAIT_MS; or the bot's worker failed or stopped during login",
        504: "Discord, or the bot's worker, did not complete the login in time",
      }),
    ),
  },
})

const logout = createRoute({
  method: 'post',
  path: '/api/auth/logout',
  operationId: 'logout',
  tags: ['auth'],
  summary: 'End this session',
  description: 'The bot stops when its last session ends. Works also when the bot is no longer running.',
  security: [{ session: [] }],
  responses: {
    200: { description: 'Logged out', content: { 'application/json': { schema: MessageResponse } } },
    ...errorResponses({ 401: 'Missing, unknown or expired session' }),
  },
})

const session = createRoute({
  method: 'get',
  path: '/api/session',
  operationId: 'getSession',
  tags: ['auth'],
  summary: "The caller's bot and session state",
  description: "The bot, its intents, and its worker's state, guild count and gateway ping.",
  security: [{ session: [] }],
  responses: {
    200: { description: 'Session', content: { 'application/json': { schema: SessionInfo } } },
    ...errorResponses({ 401: ERRORS.session401, 503: ERRORS.botGone503, 504: ERRORS.worker504 }),
  },
})

export function authRoutes(deps: {
  config: Config
  sessions: SessionStore
  pool: BotPool
  log: Logger
  budget: InvalidRequestBudget
}) {
  const { config, sessions, pool, log, budget } = deps
  const tokenCheck = createTokenCheck({
    apiUrl: config.DISCORD_API_URL,
    budget,
    timeoutMs: config.TOKEN_CHECK_TIMEOUT_MS,
    rejectTtlMs: config.REJECTED_TOKEN_TTL_MS,
    budgetRefusal: () => invalidBudgetError(budget),
  })
  const limits = createLoginLimits({
    burst: config.LOGIN_BURST,
    perMinute: config.LOGIN_PER_MINUTE,
    failureCost: config.LOGIN_FAILURE_COST,
    maxPending: config.LOGIN_MAX_PENDING_PER_IP,
  })
  const trustedProxies = new Set(config.TRUST_PROXY.map((address) => address.toLowerCase()))

  /**
   * Nothing is spent on a token before it passed the cheap checks in order: the client's attempt budget, the
   * token's shape, then one question to Discord (skipped when the bot already runs: its token is proven).
   */
  async function loggedIn(token: string, signal: AbortSignal) {
    if (!isTokenShaped(token)) throw invalidToken()
    const botKey = botKeyOf(token)
    const running = pool.get(botKey)
    if (!running || running.state() === 'stopping' || pool.wasRevoked(botKey)) await tokenCheck.verify(token, botKey)
    // acquire() holds a lease on the bot from its first line: a logout meanwhile cannot stop the bot under us
    return pool.acquire(token, { signal })
  }
  const router = createRouter()
  // logout needs no running bot: a session whose worker died can still be ended
  router.use('/api/auth/logout', requireSession(sessions))
  router.use('/api/session', requireSession(sessions), requireBot(pool, sessions))

  return router
    .openapi(login, async (c) => {
      const { token } = c.req.valid('json')
      const ip = clientAddress(c.env?.peerAddress, c.req.header('x-forwarded-for'), trustedProxies)
      const ticket = await limits.admit(ip)
      let bot: Awaited<ReturnType<typeof loggedIn>>
      try {
        bot = await loggedIn(token, c.req.raw.signal)
      } catch (err) {
        const e = toAppError(err)
        // a guess costs the client more than a good login
        throw withHeaders(e, await ticket.finish(e.status === 401))
      }
      for (const [name, value] of Object.entries(await ticket.finish(false))) c.header(name, value)
      const sessionId = nanoid(32)
      const session = {
        sessionId,
        botKey: bot.botKey,
        workerId: bot.workerId,
        botId: bot.identity.botId,
        createdAt: Date.now(),
      }
      await sessions.create(session).catch(async (err: unknown) => {
        await pool.release(bot.botKey, bot.workerId) // no session holds this lease
        throw err
      })
      log.info({ session: sessionLabel(sessionId), bot: bot.identity.botId }, 'session created')
      const { botId, username, avatar } = bot.identity
      return c.json(
        {
          sessionId,
          message: 'Logged in successfully' as const,
          bot: { id: botId, username, avatar },
          intents: bot.identity.intents,
        },
        200,
      )
    })
    .openapi(logout, async (c) => {
      const ended = await sessions.delete(c.get('session').sessionId)
      log.info(sessionFields(c), 'session ended')
      // only the request that removed the session gives its lease back: two logouts release once
      if (ended) await pool.release(ended.botKey, ended.workerId)
      return c.json({ message: 'Logged out successfully' }, 200)
    })
    .openapi(session, async (c) => {
      const { sessionId, createdAt } = c.get('session')
      const bot = c.get('bot')
      const stats = await bot.call((worker) => worker.stats())
      const { botId, username, avatar } = bot.identity
      return c.json(
        {
          sessionLabel: sessionLabel(sessionId),
          createdAt: new Date(createdAt).toISOString(),
          bot: { id: botId, username, avatar },
          intents: bot.identity.intents,
          worker: {
            state: bot.state(),
            ready: stats.ready,
            guildCount: stats.guildCount,
            gatewayPingMs: knownPing(stats.gatewayPingMs),
          },
        },
        200,
      )
    })
}
