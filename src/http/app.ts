import { OpenAPIHono } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { secureHeaders } from 'hono/secure-headers'
import { requireAdmin } from './admin-auth.ts'
import { guardInvalidBudget, requireBot, requireSession } from './auth.ts'
import type { Config } from '../config.ts'
import type { AppEnv } from './env.ts'
import { AppError, toAppError } from '../errors.ts'
import type { InvalidRequestBudget } from '../discord/invalid-budget.ts'
import type { Logger } from '../log.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { BotPool } from '../pool/pool.ts'
import { requestLogger, sessionFields } from '../observability/request-log.ts'
import { adminRoutes } from './routes/admin.ts'
import { authRoutes } from './routes/auth.ts'
import { docsRoutes } from './routes/docs.ts'
import { healthRoutes } from './routes/health.ts'
import { readRoutes } from './routes/reads.ts'
import { createMethodCheck } from './routes/methods.ts'
import type { SessionStore } from '../sessions/store.ts'

export type AppDeps = {
  config: Config
  log: Logger
  pool: BotPool
  sessions: SessionStore
  metrics: Metrics
  budget: InvalidRequestBudget
  adminToken: string
  isReady: () => boolean
  eventLoopLagMs: () => number
}

export function createApp(deps: AppDeps) {
  const { config, log, pool, sessions, metrics, budget } = deps
  const app = new OpenAPIHono<AppEnv>()

  app.use(requestLogger(log, metrics))
  app.use(secureHeaders())
  // No origins configured: no CORS headers at all, so browsers keep cross-origin pages out.
  if (config.CORS_ORIGINS.length > 0) {
    app.use(cors({ origin: [...config.CORS_ORIGINS], allowHeaders: ['Authorization', 'Content-Type'], maxAge: 600 }))
  }
  app.use(
    bodyLimit({
      maxSize: config.BODY_LIMIT_BYTES,
      onError: () => {
        throw new AppError(413, 'payload_too_large', `Body larger than ${config.BODY_LIMIT_BYTES} bytes`)
      },
    }),
  )
  const dataRoutes = ['/api/guilds', '/api/channels', '/api/members', '/api/messages']
  for (const path of dataRoutes) app.use(path, requireSession(sessions), requireBot(pool, sessions))
  // members and messages call Discord: near Discord's invalid-request ban, fail fast instead
  for (const path of ['/api/members', '/api/messages']) app.use(path, guardInvalidBudget(budget))
  const admin = requireAdmin(deps.adminToken)
  app.use('/admin/*', admin)
  if (!config.METRICS_PUBLIC) app.use('/metrics', admin)

  app.route('/', healthRoutes(deps.isReady))
  app.route('/', adminRoutes({ pool, sessions, budget, eventLoopLagMs: deps.eventLoopLagMs }))
  app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }))
  app.route('/', authRoutes({ sessions, pool, log }))
  app.route('/', readRoutes())
  app.route('/', docsRoutes())

  app.openAPIRegistry.registerComponent('securitySchemes', 'admin', { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' })
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'The sessionId from POST /api/auth/login (a `Bearer ` prefix is accepted too)',
  })
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Botvisor', version: '0.1.0', description: 'Run and drive many Discord bots through one REST API.' },
  })

  const methodCheck = createMethodCheck(app.routes)
  app.notFound((c) => {
    const allowed = methodCheck(c.req.path)
    if (allowed.length > 0) {
      throw new AppError(405, 'method_not_allowed', `Method ${c.req.method} not allowed here`, {
        headers: { Allow: allowed.join(', ') },
      })
    }
    throw new AppError(404, 'not_found', `No route ${c.req.method} ${c.req.path}`)
  })

  app.onError((err, c) => {
    const e = toAppError(err)
    const who = sessionFields(c)
    if (e.status >= 500) log.error({ err, code: e.code, ...who }, 'request failed') // the stack goes to the log, never out
    else log.info({ code: e.code, ...who }, e.publicMessage)
    return c.json({ error: e.publicMessage, code: e.code }, e.status, e.extra.headers)
  })
  return app
}
