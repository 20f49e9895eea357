import { createRoute, z } from '@hono/zod-openapi'
import type { InvalidRequestBudget } from '../../discord/invalid-budget.ts'
import { AppError } from '../../errors.ts'
import type { BotPool } from '../../pool/pool.ts'
import { WORKER_STATES, type WorkerSnapshot } from '../../pool/bot-types.ts'
import { errorResponses } from '../schemas.ts'
import type { SessionStore } from '../../sessions/store.ts'
import { createRouter } from './router.ts'

const WorkerRow = z
  .object({
    workerId: z.string(),
    botId: z.string(),
    botName: z.string(),
    state: z.enum(WORKER_STATES as [string, ...string[]]),
    stateSince: z.string(),
    sessions: z.number(),
    uptimeMs: z.number(),
    restarts: z.number(),
    lastExit: z.object({ reason: z.string(), at: z.string() }).nullable(),
    lastError: z.string().nullable(),
    gatewayPingMs: z.number().nullable(),
    guildCount: z.number(),
    heapUsedBytes: z.number().nullable(),
    rssShareBytes: z.null().openapi({ description: 'Workers are threads of one process: no per-worker RSS exists' }),
    rpcLatencyMs: z.object({ p50: z.number().nullable(), p99: z.number().nullable() }),
    eventsPerSecond: z.number(),
    discordRestCalls: z.number().nullable(),
    discordRateLimited: z.number().nullable(),
    identifiesLeft: z.number(),
  })
  .openapi('Worker')

const Health = z
  .object({
    workers: z.record(z.string(), z.number()),
    eventLoopLagMs: z.number(),
    memory: z.object({ rssBytes: z.number(), heapUsedBytes: z.number() }),
    invalidRequests: z.object({ used: z.number(), limit: z.number(), windowMinutes: z.number(), failingFast: z.boolean() }),
  })
  .openapi('AdminHealth')

const security = [{ admin: [] }]
const WorkerParams = z.object({ id: z.string().min(1).max(64) })
const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } })

const listWorkers = createRoute({
  method: 'get', path: '/admin/workers', tags: ['admin'], summary: 'Every worker, one row each', security,
  responses: { 200: json(z.array(WorkerRow), 'Workers'), ...errorResponses(401) },
})
const getWorker = createRoute({
  method: 'get', path: '/admin/workers/{id}', tags: ['admin'], summary: 'One worker', security,
  request: { params: WorkerParams },
  responses: { 200: json(WorkerRow, 'Worker'), ...errorResponses(401, 404) },
})
const restartWorker = createRoute({
  method: 'post', path: '/admin/workers/{id}/restart', tags: ['admin'], summary: 'Restart a worker (also out of failed)', security,
  request: { params: WorkerParams },
  responses: { 200: json(WorkerRow, 'Restarted'), ...errorResponses(401, 404) },
})
const deleteWorker = createRoute({
  method: 'delete', path: '/admin/workers/{id}', tags: ['admin'], summary: 'Stop a worker and end its sessions', security,
  request: { params: WorkerParams },
  responses: { 200: json(z.object({ message: z.string(), sessionsEnded: z.number() }), 'Stopped'), ...errorResponses(401, 404) },
})
const health = createRoute({
  method: 'get', path: '/admin/health', tags: ['admin'], summary: 'Totals by state, event-loop lag, memory, invalid-request budget', security,
  responses: { 200: json(Health, 'Health'), ...errorResponses(401) },
})

export type AdminDeps = { pool: BotPool; sessions: SessionStore; budget: InvalidRequestBudget; eventLoopLagMs: () => number }

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
      gatewayPingMs: snapshot.stats?.gatewayPingMs ?? null,
      guildCount: snapshot.stats?.guildCount ?? snapshot.identity.guildCount,
      heapUsedBytes: snapshot.stats?.heapUsedBytes ?? null,
      rssShareBytes: null,
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
          invalidRequests: { used: budget.used(), limit: budget.limit, windowMinutes: 10, failingFast: budget.exhausted() },
        },
        200,
      )
    })
}
