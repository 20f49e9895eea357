import { nanoid } from 'nanoid'
import { createHttpHandler } from './http/app.ts'
import type { Config } from './config.ts'
import { watchEventLoopLag } from './observability/event-loop-lag.ts'
import { createInvalidRequestBudget } from './discord/invalid-budget.ts'
import type { Logger } from './log.ts'
import { createMetrics } from './observability/metrics.ts'
import { createPool, type BotPool } from './pool/pool.ts'
import type { SessionStore } from './sessions/store.ts'
import { createWebhookService } from './webhooks/setup.ts'
import type { Webhooks } from './webhooks/webhooks.ts'
import { notifyingEnded } from './sessions/ended.ts'
import { type SessionExpiry, startSessionExpiry } from './sessions/expiry.ts'
import type { BotRegistry } from './store/types.ts'
import type { WebhookStore } from './webhooks/store.ts'
import { createEventHub, type EventHub } from './events/hub.ts'
import { createEventIngest } from './events/ingest.ts'
import { lifecycleEventOf } from './events/lifecycle.ts'
import { createEventStreams, type EventStreams } from './events/streams.ts'
import type { IdempotencyStore } from './store/idempotency.ts'
import { createMemoryStore } from './store/memory.ts'
import type { Store } from './store/types.ts'
import { createEventIdBlocks } from './store/event-id-blocks.ts'
import { createDurability } from './restart/durability.ts'
import { NOTHING_TO_RESTORE, type RestorePlan } from './restart/plan.ts'

export type Service = {
  url: string
  pool: BotPool
  sessions: SessionStore
  webhooks: Webhooks
  /** ADMIN_TOKEN, or the one generated at start when it was not set. */
  adminToken: string
  adminTokenGenerated: boolean
  /** Live events: every bot's feed (SSE, webhooks subscribe here) and the open SSE streams. */
  events: EventHub
  eventStreams: EventStreams
  /** Idle sessions end at each sweep (SESSION_IDLE_TTL); tests call sweep() instead of waiting for the timer. */
  sessionExpiry: SessionExpiry
  /** Sessions, bots and event ids; closed by stop(). */
  store: Store
  /**
   * Answers /readyz 503 while still serving for drainMs (SHUTDOWN_DRAIN_MS), then stops taking requests, lets
   * in-flight ones finish (bounded by graceMs), then stops every bot.
   */
  stop(graceMs?: number, drainMs?: number): Promise<void>
}

/** The whole gateway: sessions, the supervised worker pool and the HTTP server. main.ts and the tests start it here. */
export function startService(
  config: Config,
  log: Logger,
  options: {
    sessions?: SessionStore
    idempotency?: IdempotencyStore
    /** Where webhooks live (the durable store's); in memory by default. */
    webhookStore?: WebhookStore
    /** The durable store's bots: DELETE /admin/bots/{botId} forgets the bot's token there. */
    bots?: Pick<BotRegistry, 'forget' | 'list'>
    /** Where sessions, bots and event ids live (main.ts opens it from DATA_DIR); memory only when not given. */
    store?: Store
    /** What the last run left running (planRestore): started again before the first request is taken. */
    restore?: RestorePlan
  } = {},
): Service {
  const store = options.store ?? createMemoryStore()
  const restore = options.restore ?? NOTHING_TO_RESTORE
  // Workers count into this shared window as Discord answers and check it before each call (invalid-budget.ts);
  // twice MAX_BOTS slots, so a bot that stopped keeps its count while others start.
  const budget = createInvalidRequestBudget(config.INVALID_REQUEST_LIMIT, {
    botSlots: config.MAX_BOTS * 2,
    botLimit: Math.max(1, Math.floor((config.INVALID_REQUEST_LIMIT * config.INVALID_REQUEST_BOT_SHARE) / 100)),
  })
  const lag = watchEventLoopLag()
  let pool: BotPool | undefined
  let webhooks: Webhooks | undefined
  const metrics = createMetrics({
    snapshots: () => pool?.snapshots() ?? [],
    budget,
    idleWorkers: () => pool?.idleWorkers() ?? 0,
    webhooksQueued: () => webhooks?.queued() ?? 0,
  })
  // event ids continue across restarts: reserved in blocks, so publishing does no I/O
  const eventIds = createEventIdBlocks(store.eventIds, {
    onError: (err) => log.error({ err }, 'reserving event ids failed'),
  })
  const events = createEventHub({
    bufferSize: config.EVENT_BUFFER_SIZE,
    reservedId: (botId) => (eventIds.opened(botId) ? eventIds.next(botId) : undefined),
  })
  webhooks = createWebhookService({
    config,
    log,
    feed: events,
    store: options.webhookStore ?? store.webhooks,
    onAttempt: metrics.observeWebhookDelivery,
  })
  const ingest = createEventIngest(events, {
    onForwarded: metrics.countEventForwarded,
    onReplayDropped: metrics.countReplayDropped,
  })
  const eventStreams = createEventStreams({
    hub: events,
    maxBufferedBytes: config.SSE_MAX_BUFFERED_BYTES,
    keepAliveMs: config.SSE_KEEPALIVE_MS,
    hooks: { onOpened: metrics.sseOpened, onClosed: metrics.sseClosed },
  })
  // however a session ends, its live event streams end with it (a last `session_ended` event)
  const sessions = notifyingEnded(options.sessions ?? store.sessions, (ended, why) =>
    eventStreams.endSessions(
      ended.map((session) => session.sessionId),
      why,
    ),
  )
  for (const { botId, mark } of restore.marks) ingest.restoreMark(botId, mark)
  const durability = createDurability({
    store,
    ingest,
    hub: events,
    eventIds,
    log,
    isRunning: (botKey) => pool?.get(botKey) !== undefined,
    restored: restore,
  })
  pool = createPool({
    config,
    log,
    budget,
    hooks: {
      ...durability.hooks,
      onEvents: ingest.dispatches,
      onLifecycle: (change) => {
        const type = lifecycleEventOf(change)
        if (type) ingest.lifecycle(change.botId, type, { state: change.to, reason: change.reason })
        // a bot logged out for good keeps no buffer: over time, bots come and go by the thousand
        if (change.to === 'stopping') events.forget(change.botId)
      },
      onBotRevoked: (botKey) => eventStreams.endBot(botKey, 'token_revoked'),
      onRpc: metrics.observeRpc,
      onSpawn: metrics.countSpawn,
      onReuse: metrics.countReuse,
      onResumeFallback: metrics.countResumeFallback,
      onTransition: (_from, to, reason) => {
        if (to === 'restarting' || (to === 'starting' && reason.startsWith('admin'))) metrics.countRestart(reason)
      },
    },
  })
  const sessionExpiry = startSessionExpiry({
    sessions,
    pool,
    idleMs: config.SESSION_IDLE_TTL,
    intervalMs: config.SESSION_SWEEP_INTERVAL_MS,
    log,
  })
  if (restore.bots.length > 0) log.info({ bots: restore.bots.length }, 'starting the bots of the last run again')
  // before the listener opens: a request for a restored session finds its bot starting, never missing (a 401)
  pool.restore(restore.bots)
  const adminToken = config.ADMIN_TOKEN ?? nanoid(32)
  let ready = true // what /readyz says: false from the first moment of a shutdown
  let url = '' // known once the listener is bound (PORT 0 picks the port)
  const http = createHttpHandler({
    config,
    log,
    pool,
    sessions,
    metrics,
    budget,
    events,
    eventStreams,
    webhooks,
    adminToken,
    isReady: () => ready,
    eventLoopLagMs: lag.lagMs,
    listenerOrigin: () => url,
    idempotency: options.idempotency ?? store.idempotency,
    bots: options.bots ?? store.bots,
  })
  // development: false keeps Bun's error page (with stack traces) away from clients.
  const server = Bun.serve({
    port: config.PORT,
    hostname: config.HOST,
    development: false,
    fetch: http.fetch,
  })
  const host = server.hostname?.includes(':') ? `[${server.hostname}]` : server.hostname
  url = `http://${host}:${server.port}`
  const running = pool
  const hooks = webhooks
  return {
    url,
    pool: running,
    sessions,
    webhooks: hooks,
    adminToken,
    adminTokenGenerated: config.ADMIN_TOKEN === undefined,
    events,
    eventStreams,
    sessionExpiry,
    store,
    async stop(graceMs = config.SHUTDOWN_GRACE_MS, drainMs = config.SHUTDOWN_DRAIN_MS) {
      ready = false
      sessionExpiry.stop()
      // A balancer sees the 503 only at its next /readyz poll; until it takes this node out, new requests
      // still arrive and are served as usual.
      if (drainMs > 0) await Bun.sleep(drainMs)
      // nothing is published from here on: the next run gets what follows from Discord's RESUME replay, with
      // the ids after the last one a stream saw
      ingest.freeze()
      // an open stream is a request in flight: end them, or stop(false) below waits for them the whole grace
      eventStreams.endAll('shutdown')
      let timer: ReturnType<typeof setTimeout> | undefined
      const graceOver = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs)
      })
      // stop(false): no new connections; the requests in flight run to their end, within the grace period
      await Promise.race([server.stop(false), graceOver]).finally(() => clearTimeout(timer))
      // every worker hands its gateway session over (closed resumably), then the store writes it
      await running.stopAll()
      await durability.close()
      hooks.stop()
      await server.stop(true)
      lag.stop()
    },
  }
}
