import { createRoute, z } from '@hono/zod-openapi'
import type { InvalidRequestBudget } from '../../discord/invalid-budget.ts'
import { AppError } from '../../errors.ts'
import { WORKER_STATES, type WorkerSnapshot, type WorkerState } from '../../pool/bot-types.ts'
import { errorResponses, knownPing } from '../schemas.ts'
import { type AdminSessionDeps, adminSessionRoutes } from './admin-sessions.ts'
import { createRouter } from './router.ts'

const Count = z.number().int().nonnegative()
const Timestamp = z.string().openapi({ format: 'date-time' })

export const WorkerRow = z
  .object({
    workerId: z.string(),
    botId: z.string().openapi({ description: "The bot's Discord id (empty before its first login)" }),
    botName: z.string(),
    state: z.enum(WORKER_STATES as [WorkerState, ...WorkerState[]]),
    stateSince: Timestamp,
    sessions: Count,
    uptimeMs: Count.openapi({ description: 'Time in ready/reconnecting since the worker started; 0 otherwise' }),
    restarts: Count,
    lastExit: z.object({ reason: z.string(), at: Timestamp }).nullable(),
    lastError: z.string().nullable(),
    gatewayPingMs: z.number().nullable().openapi({ description: 'Gateway heartbeat round trip; null until known' }),
    guildCount: Count,
    heapUsedBytes: Count.nullable(),
    rpcLatencyMs: z.object({ p50: z.number().nullable(), p99: z.number().nullable() }),
    eventsPerSecond: z.number().nonnegative(),
    discordRestCalls: Count.nullable(),
    discordRateLimited: Count.nullable(),
    identifiesLeft: z.number().int().openapi({ description: "Discord's session_start_limit.remaining as last seen" }),
  })
  .openapi('Worker')
export type WorkerRow = z.infer<typeof WorkerRow>

const Health = z
  .object({
    workers: z.record(z.string(), Count).openapi({ description: 'Workers by state' }),
    eventLoopLagMs: z.number().nonnegative(),
    memory: z.object({ rssBytes: Count, heapUsedBytes: Count }),
    invalidRequests: z.object({ used: Count, limit: Count, windowMinutes: Count, failingFast: z.boolean() }),
  })
  .openapi('AdminHealth')

const security = [{ admin: [] }]
const WorkerParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { description: 'The workerId of a row of GET /admin/workers' } }),
})
const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } })
const admin401 = { 401: 'Missing or wrong admin token (Authorization: Bearer <ADMIN_TOKEN>)' }
const byId = { ...admin401, 400: 'The id is longer than 64 characters', 404: 'Unknown worker' }

const listWorkers = createRoute({
  method: 'get',
  path: '/admin/workers',
  operationId: 'listWorkers',
  tags: ['admin'],
  security,
  summary: 'Every worker, one row each',
  description: 'State, sessions, restarts, last exit, gateway ping, memory and Discord traffic per worker.',
  responses: { 200: json(z.array(WorkerRow), 'Workers'), ...errorResponses(admin401) },
})
const getWorker = createRoute({
  method: 'get',
  path: '/admin/workers/{id}',
  operationId: 'getWorker',
  tags: ['admin'],
  security,
  summary: 'One worker',
  description: 'The same row as in the list.',
  request: { params: WorkerParams },
  responses: { 200: json(WorkerRow, 'Worker'), ...errorResponses(byId) },
})
const restartWorker = createRoute({
  method: 'post',
  path: '/admin/workers/{id}/restart',
  operationId: 'restartWorker',
  tags: ['admin'],
  security,
  summary: 'Restart a worker',
  description: 'A fresh worker for the bot, also out of `failed` (intensity and backoff start over).',
  request: { params: WorkerParams },
  responses: { 200: json(WorkerRow, 'Restarted'), ...errorResponses(byId) },
})
const deleteWorker = createRoute({
  method: 'delete',
  path: '/admin/workers/{id}',
  operationId: 'deleteWorker',
  tags: ['admin'],
  security,
  summary: 'Stop a worker',
  description: 'Logs the bot out and ends its sessions.',
  request: { params: WorkerParams },
  responses: {
    200: json(z.object({ message: z.string(), sessionsEnded: Count }).openapi('WorkerStopped'), 'Stopped'),
    ...errorResponses(byId),
  },
})
const health = createRoute({
  method: 'get',
  path: '/admin/health',
  operationId: 'getAdminHealth',
  tags: ['admin'],
  security,
  summary: 'Service health',
  description: 'Workers by state, event-loop lag, memory and the invalid-request budget.',
  responses: { 200: json(Health, 'Health'), ...errorResponses(admin401) },
})

export type AdminDeps = AdminSessionDeps & {
  budget: InvalidRequestBudget
  eventLoopLagMs: () => number
}

export function adminRoutes(deps: AdminDeps) {
  const { pool, sessions, budget } = deps
  const iso = (ms: number) => new Date(ms).toISOString()

  async function toRow(snapshot: WorkerSnapshot) {
    const bot = pool.list().find((handle) => handle.workerId === snapshot.workerId)
    return {
      workerId: snapshot.workerId,
      botId: snapshot.botId,
      botName: snapshot.botName,
      state: snapshot.state,
      stateSince: iso(snapshot.stateSince),
      sessions: bot ? await sessions.countForBot(bot.botKey) : 0,
      uptimeMs: snapshot.state === 'ready' || snapshot.state === 'reconnecting' ? Date.now() - snapshot.startedAt : 0,
      restarts: snapshot.restarts,
      lastExit: snapshot.lastExit ? { reason: snapshot.lastExit.reason, at: iso(snapshot.lastExit.at) } : null,
      lastError: snapshot.lastError,
      gatewayPingMs: knownPing(snapshot.stats?.gatewayPingMs),
      guildCount: snapshot.stats?.guildCount ?? snapshot.identity.guildCount,
      heapUsedBytes: snapshot.stats?.heapUsedBytes ?? null,
      rpcLatencyMs: { p50: snapshot.rpcP50Ms, p99: snapshot.rpcP99Ms },
      eventsPerSecond: Math.round(snapshot.eventsPerSecond * 100) / 100,
      discordRestCalls: snapshot.stats?.restCalls ?? null,
      discordRateLimited: snapshot.stats?.rateLimited ?? null,
      identifiesLeft: snapshot.identity.identifiesLeft,
    }
  }
  const notFound = () => new AppError(404, 'not_found', 'Unknown worker')

  return createRouter()
    .openapi(listWorkers, async (c) => c.json(await Promise.all(pool.snapshots().map(toRow)), 200))
    .openapi(getWorker, async (c) => {
      const snapshot = pool.snapshot(c.req.valid('param').id)
      if (!snapshot) throw notFound()
      return c.json(await toRow(snapshot), 200)
    })
    .openapi(restartWorker, async (c) => {
      const snapshot = await pool.restart(c.req.valid('param').id)
      if (!snapshot) throw notFound()
      return c.json(await toRow(snapshot), 200)
    })
    .openapi(deleteWorker, async (c) => {
      const botKey = await pool.remove(c.req.valid('param').id)
      if (!botKey) throw notFound()
      const ended = await sessions.deleteForBot(botKey)
      return c.json({ message: 'Worker stopped', sessionsEnded: ended.length }, 200)
    })
    .openapi(health, (c) => {
      const workers = Object.fromEntries(WORKER_STATES.map((state) => [state, 0]))
      for (const snapshot of pool.snapshots()) workers[snapshot.state] = (workers[snapshot.state] ?? 0) + 1
      const memory = process.memoryUsage()
      return c.json(
        {
          workers,
          eventLoopLagMs: Math.round(deps.eventLoopLagMs() * 100) / 100,
          memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
          invalidRequests: {
            used: budget.used(),
            limit: budget.limit,
            windowMinutes: 10,
            failingFast: budget.exhausted(),
          },
        },
        200,
      )
    })
    .route('/', adminSessionRoutes(deps))
}
