import { nanoid } from 'nanoid'
import { createHttpHandler } from './http/app.ts'
import type { Config } from './config.ts'
import { watchEventLoopLag } from './observability/event-loop-lag.ts'
import { createInvalidRequestBudget } from './discord/invalid-budget.ts'
import type { Logger } from './log.ts'
import { createMetrics } from './observability/metrics.ts'
import { createPool, type BotPool } from './pool/pool.ts'
import { createMemorySessionStore, type SessionStore } from './sessions/store.ts'
import type { IdempotencyStore } from './store/idempotency.ts'

export type Service = {
  url: string
  pool: BotPool
  sessions: SessionStore
  /** ADMIN_TOKEN, or the one generated at start when it was not set. */
  adminToken: string
  adminTokenGenerated: boolean
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
  options: { sessions?: SessionStore; idempotency?: IdempotencyStore } = {},
): Service {
  const sessions = options.sessions ?? createMemorySessionStore()
  // Workers count into this shared window as Discord answers and check it before each call (invalid-budget.ts);
  // twice MAX_BOTS slots, so a bot that stopped keeps its count while others start.
  const budget = createInvalidRequestBudget(config.INVALID_REQUEST_LIMIT, {
    botSlots: config.MAX_BOTS * 2,
    botLimit: Math.max(1, Math.floor((config.INVALID_REQUEST_LIMIT * config.INVALID_REQUEST_BOT_SHARE) / 100)),
  })
  const lag = watchEventLoopLag()
  let pool: BotPool | undefined
  const metrics = createMetrics({
    snapshots: () => pool?.snapshots() ?? [],
    budget,
    idleWorkers: () => pool?.idleWorkers() ?? 0,
  })
  pool = createPool({
    config,
    log,
    budget,
    hooks: {
      onRpc: metrics.observeRpc,
      onSpawn: metrics.countSpawn,
      onReuse: metrics.countReuse,
      onResumeFallback: metrics.countResumeFallback,
      onTransition: (_from, to, reason) => {
        if (to === 'restarting' || (to === 'starting' && reason.startsWith('admin'))) metrics.countRestart(reason)
      },
    },
  })
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
    adminToken,
    isReady: () => ready,
    eventLoopLagMs: lag.lagMs,
    listenerOrigin: () => url,
    idempotency: options.idempotency,
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
  return {
    url,
    pool: running,
    sessions,
    adminToken,
    adminTokenGenerated: config.ADMIN_TOKEN === undefined,
    async stop(graceMs = config.SHUTDOWN_GRACE_MS, drainMs = config.SHUTDOWN_DRAIN_MS) {
      ready = false
      // A balancer sees the 503 only at its next /readyz poll; until it takes this node out, new requests
      // still arrive and are served as usual.
      if (drainMs > 0) await Bun.sleep(drainMs)
      let timer: ReturnType<typeof setTimeout> | undefined
      const graceOver = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs)
      })
      // stop(false): no new connections; the requests in flight run to their end, within the grace period
      await Promise.race([server.stop(false), graceOver]).finally(() => clearTimeout(timer))
      await running.stopAll()
      await server.stop(true)
      lag.stop()
    },
  }
}
