import { OpenAPIHono } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { requireAdmin } from './admin-auth.ts'
import { guardInvalidBudget, requireBot, requireSession } from './auth.ts'
import type { Config } from '../config.ts'
import type { AppEnv } from './env.ts'
import { AppError } from '../errors.ts'
import { createErrorAnswers, type AnswerError } from './error-answer.ts'
import type { InvalidRequestBudget } from '../discord/invalid-budget.ts'
import { createFastReads } from './fast-reads.ts'
import { createFastSends } from './fast-sends.ts'
import { createHostCheck } from './host.ts'
import { idempotency } from './idempotency.ts'
import type { IdempotencyStore } from '../store/idempotency.ts'
import { createMemoryIdempotencyStore } from '../store/idempotency-memory.ts'
import type { BotRegistry } from '../store/types.ts'
import type { Logger } from '../log.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { BotPool } from '../pool/pool.ts'
import { describeApi } from './openapi.ts'
import { recordRequest, requestLogger, sessionFields } from '../observability/request-log.ts'
import { routePath } from 'hono/route'
import { adminRoutes } from './routes/admin.ts'
import { eventRoutes } from './routes/events.ts'
import type { EventHub } from '../events/hub.ts'
import type { EventStreams } from '../events/streams.ts'
import { authRoutes } from './routes/auth.ts'
import { docsRoutes } from './routes/docs.ts'
import { healthRoutes } from './routes/health.ts'
import { metricsRoutes } from './routes/metrics.ts'
import { readRoutes } from './routes/reads.ts'
import { writeRoutes } from './routes/writes.ts'
import { createMethodCheck } from './routes/methods.ts'
import { securityHeaders } from './security-headers.ts'
import type { SessionStore } from '../sessions/store.ts'
import type { Webhooks } from '../webhooks/webhooks.ts'
import { webhookRoutes } from './routes/webhooks.ts'

export type AppDeps = {
  config: Config
  log: Logger
  pool: BotPool
  sessions: SessionStore
  metrics: Metrics
  budget: InvalidRequestBudget
  /** Live events: the hub every bot's events go through, and the open SSE streams on it. */
  events: EventHub
  eventStreams: EventStreams
  adminToken: string
  isReady: () => boolean
  eventLoopLagMs: () => number
  webhooks: Webhooks
  /** Where Idempotency-Key answers live; by default in memory (IDEMPOTENCY_TTL_MS, IDEMPOTENCY_MAX_KEYS). */
  idempotency?: IdempotencyStore
  /** The durable store's bots: DELETE /admin/bots/{botId} forgets the bot's token there (none: nothing to forget). */
  bots?: Pick<BotRegistry, 'forget' | 'list'>
}

/** Headers a browser script may read on a cross-origin answer (beyond the CORS-safelisted ones). */
const EXPOSED_HEADERS = [
  'Link',
  'Location',
  'Retry-After',
  'WWW-Authenticate',
  'RateLimit',
  'RateLimit-Policy',
  'Idempotent-Replayed',
]

/** The Hono app: every route, every error. `answerError` maps and logs its errors (error-answer.ts). */
export function createApp(
  deps: AppDeps,
  answerError: AnswerError = createErrorAnswers(deps.log, deps.config.LOG_REPEAT_INTERVAL_MS),
) {
  const { config, log, pool, sessions, metrics, budget } = deps
  const app = new OpenAPIHono<AppEnv>()

  app.use(requestLogger(log, metrics))
  app.use(securityHeaders())
  // No origins configured: no CORS headers at all, so browsers keep cross-origin pages out.
  if (config.CORS_ORIGINS.length > 0) {
    app.use(
      cors({
        origin: [...config.CORS_ORIGINS],
        allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
        exposeHeaders: EXPOSED_HEADERS,
        maxAge: 600,
      }),
    )
  }
  app.use(
    bodyLimit({
      maxSize: config.BODY_LIMIT_BYTES,
      onError: () => {
        throw new AppError(413, 'payload_too_large', `Body larger than ${config.BODY_LIMIT_BYTES} bytes`)
      },
    }),
  )
  // Every POST, PATCH and DELETE behind a session gets Idempotency-Key (src/http/idempotency.ts): one instance,
  // so its in-flight map covers all routes. Login and logout are not behind it: a login has no bot yet (keys are
  // per bot) and its answer is a session id, a credential no store may keep; logout is idempotent by nature.
  const idempotentWrites = idempotency({
    store:
      deps.idempotency ??
      createMemoryIdempotencyStore({ ttlMs: config.IDEMPOTENCY_TTL_MS, maxKeys: config.IDEMPOTENCY_MAX_KEYS }),
    log,
    hooks: {
      onReplay: metrics.countIdempotentReplay,
      onKeyReused: metrics.countIdempotencyKeyReused,
      onWaiting: metrics.countIdempotentWaiters,
    },
  })
  // A path behind a session goes in these lists: it then gets the session, its bot and Idempotency-Key, in order.
  // Base paths are matched exactly; `/x/*` matches `/x` and below, `/x/:id/*` matches `/x/:id` and below but never
  // `/x` itself, so no request passes the checks twice.
  const behindSession = [requireSession(sessions), requireBot(pool, sessions), idempotentWrites] as const
  const dataRoutes = ['/api/guilds', '/api/channels', '/api/members', '/api/messages', '/api/events', '/api/webhooks/*']
  for (const path of dataRoutes) app.use(path, ...behindSession)
  // members and messages call Discord: near Discord's invalid-request ban, fail fast instead
  for (const path of ['/api/members', '/api/messages']) app.use(path, guardInvalidBudget(budget))
  // the actions on one message or channel (writes.ts): each calls Discord
  for (const path of ['/api/messages/:messageId/*', '/api/channels/:channelId/*']) {
    app.use(path, ...behindSession, guardInvalidBudget(budget))
  }
  const admin = requireAdmin(deps.adminToken)
  app.use('/admin/*', admin)
  if (!config.METRICS_PUBLIC) app.use('/metrics', admin)

  app.route('/', healthRoutes(deps.isReady))
  app.route('/', adminRoutes({ pool, sessions, budget, eventLoopLagMs: deps.eventLoopLagMs, bots: deps.bots }))
  app.route('/', metricsRoutes(metrics, config.METRICS_PUBLIC))
  app.route('/', authRoutes({ config, sessions, pool, log, budget }))
  app.route('/', readRoutes(config.PUBLIC_URL ?? null))
  app.route('/', writeRoutes(config.PUBLIC_URL ?? null))
  app.route('/', docsRoutes())
  app.route('/', webhookRoutes(deps.webhooks))
  app.route('/', eventRoutes(deps.eventStreams))
  describeApi(app, config.PUBLIC_URL ?? null)

  const methodCheck = createMethodCheck(app.routes)
  app.notFound((c) => {
    const allowed = methodCheck(c.req.path)
    if (allowed.length > 0) {
      throw new AppError(405, 'method_not_allowed', `Method ${c.req.method} not allowed here`, {
        headers: { Allow: allowed.join(', ') },
      })
    }
    // routes are matched exactly: name the one meant rather than answer as if it did not exist
    const trimmed = c.req.path.replace(/\/+$/, '')
    const hint =
      trimmed !== c.req.path && methodCheck(trimmed).length > 0 ? ` (without the trailing slash: ${trimmed})` : ''
    throw new AppError(404, 'not_found', `No route ${c.req.method} ${c.req.path}${hint}`)
  })

  app.onError((err, c) => {
    const answer = answerError(err, { method: c.req.method, route: routePath(c, -1), who: sessionFields(c) })
    return c.json(answer.body, answer.status, answer.headers)
  })
  return app
}

/**
 * The whole HTTP side as Bun.serve's fetch: the short paths answer the hottest cached reads on the request's own
 * tick (fast-reads.ts) and ordinary sends (fast-sends.ts), and everything else, every refusal before a send
 * included, goes to the Hono app. FAST_READS=0 and FAST_SENDS=0 send everything to the app (the answers are the
 * same; tests compare both ways).
 */
export function createHttpHandler(
  deps: AppDeps & {
    /** The listener's own origin (HOST and the bound port): a request without Host is served as if sent there. */
    listenerOrigin: () => string
  },
) {
  const { config, pool, sessions, metrics, log, budget } = deps
  const answerError = createErrorAnswers(log, config.LOG_REPEAT_INTERVAL_MS)
  const app = createApp(deps, answerError)
  const shortPath = {
    pool,
    sessions,
    metrics,
    log,
    budget,
    corsEnabled: config.CORS_ORIGINS.length > 0,
    publicUrl: config.PUBLIC_URL ?? null,
  }
  const fastRead = config.FAST_READS ? createFastReads(shortPath) : null
  const fastSend = config.FAST_SENDS
    ? createFastSends({ ...shortPath, bodyLimitBytes: config.BODY_LIMIT_BYTES, answerError })
    : null
  const checkHost = createHostCheck(deps.listenerOrigin)
  return {
    app,
    fetch(received: Request, server?: { requestIP(request: Request): { address: string } | null }) {
      const request = checkHost(received)
      if (request instanceof Response) {
        recordRequest(log, metrics, received.method, '(invalid host)', 400, 0, 'app', undefined)
        return request
      }
      // while shutting down, everything goes through the app, which knows how to refuse
      const ready = deps.isReady()
      const read = ready ? fastRead?.(request) : undefined
      if (read) return read // the hottest path allocates nothing more
      const viaApp = (forApp: Request) => app.fetch(forApp, { peerAddress: server?.requestIP(received)?.address })
      return (ready ? fastSend?.(request, viaApp) : undefined) ?? viaApp(request)
    },
  }
}
