import { createRoute, z } from '@hono/zod-openapi'
import { AppError } from '../../errors.ts'
import type { BotPool } from '../../pool/pool.ts'
import type { SessionStore } from '../../sessions/store.ts'
import { SESSION_HANDLE_LENGTH } from '../../store/hash.ts'
import type { BotRegistry } from '../../store/types.ts'
import { errorResponses, Snowflake } from '../schemas.ts'
import { createRouter } from './router.ts'

const Timestamp = z.string().openapi({ format: 'date-time' })
const Count = z.number().int().nonnegative()

export const SessionRow = z
  .object({
    label: z.string().openapi({ description: 'The first 6 characters of the session id, as logs show it' }),
    handle: z.string().openapi({
      description:
        "What DELETE /admin/sessions/{handle} takes: the first 16 hex characters of the id's SHA-256. Labels collide; this does not, and it cannot be turned back into the id.",
      example: '3f9a0c1d22b7e845',
    }),
    botId: z.string().openapi({ description: "The bot's Discord id" }),
    createdAt: Timestamp,
    lastUsedAt: Timestamp.openapi({
      description: 'Last request with this session (written to disk every few seconds)',
    }),
  })
  .openapi('AdminSession')

const Ended = z
  .object({ message: z.string(), sessionsEnded: Count })
  .openapi('SessionsEnded', { description: 'What ended; their bots stop when their last session is gone' })
const BotRemoved = z
  .object({
    message: z.string(),
    sessionsEnded: Count,
    tokenForgotten: z.boolean().openapi({ description: 'The durable store held the bot and has forgotten it' }),
  })
  .openapi('BotRemoved')

const security = [{ admin: [] }]
const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } })
const admin401 = { 401: 'Missing or wrong admin token (Authorization: Bearer <ADMIN_TOKEN>)' }
const BotParams = z.object({ botId: Snowflake.openapi({ param: { description: "The bot's Discord id" } }) })
const HandleParams = z.object({
  handle: z
    .string()
    .regex(
      new RegExp(`^[0-9a-f]{${SESSION_HANDLE_LENGTH}}$`),
      `must be ${SESSION_HANDLE_LENGTH} lowercase hex characters`,
    )
    .openapi({ param: { description: 'The handle of a row of GET /admin/sessions' } }),
})

const listSessions = createRoute({
  method: 'get',
  path: '/admin/sessions',
  operationId: 'listSessions',
  tags: ['admin'],
  security,
  summary: 'Every session, by label and handle',
  description: 'Oldest first. Never a session id: a label (as in logs) and a handle to revoke it by.',
  request: {
    query: z.object({
      botId: Snowflake.optional().openapi({ param: { description: "Only this bot's sessions" } }),
    }),
  },
  responses: {
    200: json(z.array(SessionRow), 'Sessions'),
    ...errorResponses({ ...admin401, 400: 'botId is not a Discord id' }),
  },
})
const revokeSession = createRoute({
  method: 'delete',
  path: '/admin/sessions/{handle}',
  operationId: 'revokeSession',
  tags: ['admin'],
  security,
  summary: 'End one session',
  description:
    'As if its client logged out: its event streams end (`session_ended`), and its bot stops if it was the last session.',
  request: { params: HandleParams },
  responses: {
    200: json(Ended, 'Ended'),
    ...errorResponses({ ...admin401, 400: 'Not a handle (16 lowercase hex characters)', 404: 'No such session' }),
  },
})
const revokeBotSessions = createRoute({
  method: 'delete',
  path: '/admin/bots/{botId}/sessions',
  operationId: 'revokeBotSessions',
  tags: ['admin'],
  security,
  summary: 'End every session of a bot',
  description:
    'Its event streams end (`session_ended` with `bot_removed`) and the bot stops with its last session. Its token stays known: a login starts it again.',
  request: { params: BotParams },
  responses: {
    200: json(Ended, 'Ended'),
    ...errorResponses({
      ...admin401,
      400: 'botId is not a Discord id',
      404: 'No running bot and no session with this id',
    }),
  },
})
const removeBot = createRoute({
  method: 'delete',
  path: '/admin/bots/{botId}',
  operationId: 'removeBot',
  tags: ['admin'],
  security,
  summary: 'Stop a bot, end its sessions and forget its token',
  description:
    'Logs the bot out of Discord, ends every session of it (event streams end with `bot_removed`) and removes it, token included, from the durable store: it is not started again after a restart.',
  request: { params: BotParams },
  responses: {
    200: json(BotRemoved, 'Removed'),
    ...errorResponses({ ...admin401, 400: 'botId is not a Discord id', 404: 'Unknown bot' }),
  },
})

export type AdminSessionDeps = {
  pool: BotPool
  sessions: SessionStore
  /** The durable store's bots; without one there is no token at rest to forget. */
  bots?: Pick<BotRegistry, 'forget' | 'list'>
}

/** The admin's hold on sessions and bots: list, revoke, remove (issue #13). */
export function adminSessionRoutes(deps: AdminSessionDeps) {
  const { pool, sessions, bots } = deps
  const iso = (ms: number) => new Date(ms).toISOString()

  /** The bot's keys (one per token it ran with), from its running workers, its sessions and the durable store. */
  async function botKeysOf(botId: string, withStored: boolean): Promise<Set<string>> {
    const keys = new Set(pool.list().flatMap((bot) => (bot.identity.botId === botId ? [bot.botKey] : [])))
    for (const session of await sessions.list()) if (session.botId === botId) keys.add(session.botKey)
    if (withStored && bots) for (const bot of await bots.list()) if (bot.botId === botId) keys.add(bot.botKey)
    return keys
  }

  return createRouter()
    .openapi(listSessions, async (c) => {
      const { botId } = c.req.valid('query')
      const rows = (await sessions.list())
        .filter((session) => botId === undefined || session.botId === botId)
        .map((session) => ({
          label: session.label,
          handle: session.handle,
          botId: session.botId,
          createdAt: iso(session.createdAt),
          lastUsedAt: iso(session.lastUsedAt),
        }))
      return c.json(rows, 200)
    })
    .openapi(revokeSession, async (c) => {
      const ended = await sessions.deleteByHandle(c.req.valid('param').handle)
      if (!ended) throw new AppError(404, 'not_found', 'Unknown session')
      // only the call that removed the session gives its lease back, as for a logout
      await pool.release(ended.botKey, ended.workerId)
      return c.json({ message: 'Session ended', sessionsEnded: 1 }, 200)
    })
    .openapi(revokeBotSessions, async (c) => {
      const keys = await botKeysOf(c.req.valid('param').botId, false)
      if (keys.size === 0) throw new AppError(404, 'not_found', 'Unknown bot')
      let count = 0
      for (const botKey of keys) {
        const ended = await sessions.deleteForBot(botKey)
        for (const session of ended) await pool.release(session.botKey, session.workerId)
        count += ended.length
      }
      return c.json({ message: 'Sessions ended', sessionsEnded: count }, 200)
    })
    .openapi(removeBot, async (c) => {
      const { botId } = c.req.valid('param')
      const keys = await botKeysOf(botId, true)
      let forgotten = false
      let count = 0
      if (keys.size === 0) throw new AppError(404, 'not_found', 'Unknown bot')
      for (const botKey of keys) {
        const running = pool.get(botKey)
        // stopped first, so no login can join it while its sessions end
        if (running) await pool.remove(running.workerId)
        count += (await sessions.deleteForBot(botKey)).length
        if (bots && (await bots.forget(botKey))) forgotten = true
      }
      return c.json({ message: 'Bot removed', sessionsEnded: count, tokenForgotten: forgotten }, 200)
    })
}
