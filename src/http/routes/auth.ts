import { createRoute } from '@hono/zod-openapi'
import { nanoid } from 'nanoid'
import { requireBot, requireSession } from '../auth.ts'
import { sessionLabel, type Logger } from '../../log.ts'
import { sessionFields } from '../../observability/request-log.ts'
import type { BotPool } from '../../pool/pool.ts'
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

const login = createRoute({
  method: 'post',
  path: '/api/auth/login',
  operationId: 'login',
  tags: ['auth'],
  summary: 'Start (or join) a bot session with its token',
  description:
    "Starts the bot's worker, or joins the running one (one gateway connection per token, whatever the number of sessions), and answers once Discord's READY arrived.",
  security: [],
  request: {
    body: { required: true, description: "The bot's token", content: { 'application/json': { schema: LoginBody } } },
  },
  responses: {
    200: { description: 'Logged in', content: { 'application/json': { schema: LoginResponse } } },
    ...errorResponses({
      400: ERRORS.body400,
      401: 'Discord rejected the token',
      413: ERRORS.body413,
      415: ERRORS.body415,
      429: 'Discord rate-limited the login',
      502: ERRORS.discord502,
      503: "MAX_BOTS bots already run (capacity_reached, with Retry-After), or the bot's worker failed or stopped during login",
      504: "Discord, or the bot's worker, did not complete the login in time",
    }),
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

export function authRoutes(deps: { sessions: SessionStore; pool: BotPool; log: Logger }) {
  const { sessions, pool, log } = deps
  const router = createRouter()
  // logout needs no running bot: a session whose worker died can still be ended
  router.use('/api/auth/logout', requireSession(sessions))
  router.use('/api/session', requireSession(sessions), requireBot(pool, sessions))

  return router
    .openapi(login, async (c) => {
      const { token } = c.req.valid('json')
      // acquire() holds a lease on the bot from its first line: a logout meanwhile cannot stop the bot under us
      const bot = await pool.acquire(token)
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
