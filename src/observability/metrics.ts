import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { InvalidRequestBudget } from '../discord/invalid-budget.ts'
import { createRequestMetrics } from './request-metrics.ts'
import { WORKER_STATES, type WorkerSnapshot, type WorkerState } from '../pool/bot-types.ts'

/** Restart reasons folded into a few values: a free-text label would grow without bound. */
export function restartCause(reason: string): string {
  if (reason.startsWith('hung')) return 'hang'
  if (reason.startsWith('memory')) return 'memory'
  if (reason.startsWith('crashed')) return 'crash'
  if (reason.startsWith('exited')) return 'exit'
  if (reason.startsWith('Discord closed')) return 'gateway_closed'
  if (reason.startsWith('restart failed')) return 'restart_failed'
  if (reason.startsWith('admin')) return 'admin'
  return 'other'
}

export type Metrics = ReturnType<typeof createMetrics>

/**
 * Prometheus metrics in a registry of this service's own (no global state: a test process can run two).
 * Labels are bounded: route templates, states, causes and bot ids — never session ids.
 */
export function createMetrics(sources: {
  snapshots: () => WorkerSnapshot[]
  budget: InvalidRequestBudget
  /** Stopped workers kept for reuse; absent before the pool exists. */
  idleWorkers?: () => number
  /** Webhook events waiting for delivery, in every queue. */
  webhooksQueued?: () => number
}) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'botvisor_process_' })

  const { observeRequest, requestObserver } = createRequestMetrics(registry)
  const rpcDuration = new Histogram({
    name: 'botvisor_worker_rpc_duration_seconds',
    help: 'Gateway → worker call latency',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5],
    registers: [registry],
  })
  const restarts = new Counter({
    name: 'botvisor_worker_restarts_total',
    help: 'Worker restarts by cause',
    labelNames: ['cause'] as const,
    registers: [registry],
  })

  const perBot = (name: string, help: string, read: (snapshot: WorkerSnapshot) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['bot'] as const,
      registers: [registry],
      collect() {
        this.reset()
        for (const snapshot of sources.snapshots()) {
          const value = read(snapshot)
          if (value !== undefined && snapshot.botId) this.set({ bot: snapshot.botId }, value)
        }
      },
    })
  perBot(
    'botvisor_discord_rest_calls',
    'Discord REST calls made by the bot’s current worker',
    (s) => s.stats?.restCalls,
  )
  perBot('botvisor_discord_rate_limited', '429s Discord sent the bot’s current worker', (s) => s.stats?.rateLimited)
  perBot('botvisor_gateway_ping_ms', 'Gateway heartbeat round trip', (s) => s.stats?.gatewayPingMs)
  perBot('botvisor_worker_heap_bytes', 'JS heap used by the bot’s worker', (s) => s.stats?.heapUsedBytes)

  new Gauge({
    name: 'botvisor_workers',
    help: 'Workers by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const counts = new Map<WorkerState, number>(WORKER_STATES.map((state) => [state, 0]))
      for (const snapshot of sources.snapshots()) counts.set(snapshot.state, (counts.get(snapshot.state) ?? 0) + 1)
      for (const [state, count] of counts) this.set({ state }, count)
    },
  })
  new Gauge({
    name: 'botvisor_discord_invalid_requests_window',
    help: 'Invalid Discord requests (401/403/429) in the last 10 minutes, all bots',
    registers: [registry],
    collect() {
      this.set(sources.budget.used())
    },
  })
  new Gauge({
    name: 'botvisor_discord_invalid_requests_limit',
    help: 'Where the gateway stops calling Discord (Discord bans the IP at 10 000)',
    registers: [registry],
    collect() {
      this.set(sources.budget.limit)
    },
  })

  const spawned = new Counter({
    name: 'botvisor_workers_spawned_total',
    help: 'Bot worker threads created (each costs memory Bun does not give back)',
    registers: [registry],
  })
  const reused = new Counter({
    name: 'botvisor_workers_reused_total',
    help: 'Logins served by a worker that an earlier bot used and handed back clean',
    registers: [registry],
  })
  new Gauge({
    name: 'botvisor_workers_idle',
    help: 'Workers with no bot, kept for the next login',
    registers: [registry],
    collect() {
      this.set(sources.idleWorkers?.() ?? 0)
    },
  })
  const resumeFallbacks = new Counter({
    name: 'botvisor_resume_fallbacks_total',
    help: 'Restarts that were to RESUME the gateway session but identified instead, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  })
  const idempotentReplays = new Counter({
    name: 'botvisor_idempotent_replays_total',
    help: 'Keyed writes answered with an earlier answer (Idempotent-Replayed), waiters on a running one included',
    registers: [registry],
  })
  const idempotencyKeyReused = new Counter({
    name: 'botvisor_idempotency_key_reused_total',
    help: 'Keyed writes refused 422: the key was used for a different request',
    registers: [registry],
  })
  const idempotentWaiters = new Gauge({
    name: 'botvisor_idempotent_waiters',
    help: 'Keyed writes waiting for a running request with the same key',
    registers: [registry],
  })

  const webhookDeliveries = new Counter({
    name: 'botvisor_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered, retrying, failed; dropped: never sent, queue full or webhook disabled)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  const webhookLatency = new Histogram({
    name: 'botvisor_webhook_delivery_duration_seconds',
    help: 'Webhook attempt latency: request sent → response headers (or the error)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  new Gauge({
    name: 'botvisor_webhook_queued_deliveries',
    help: 'Webhook events waiting for delivery (each queue’s event in flight included)',
    registers: [registry],
    collect() {
      this.set(sources.webhooksQueued?.() ?? 0)
    },
  })
  // Live events (issue 12): type and cut-off labels are bounded lists.
  const eventsForwarded = new Counter({
    name: 'botvisor_events_forwarded_total',
    help: 'Gateway dispatches published as live events, by type',
    labelNames: ['type'] as const,
    registers: [registry],
  })
  const replaysDropped = new Counter({
    name: 'botvisor_events_replays_dropped_total',
    help: 'Dispatches Discord replayed after a RESUME that had been forwarded already (dropped: exactly once)',
    registers: [registry],
  })
  const sseClients = new Gauge({
    name: 'botvisor_sse_clients',
    help: 'Open GET /api/events streams',
    registers: [registry],
  })
  const sseClosed = new Counter({
    name: 'botvisor_sse_closed_total',
    help: 'GET /api/events streams closed, by why (overflow: the reader fell SSE_MAX_BUFFERED_BYTES behind)',
    labelNames: ['why'] as const,
    registers: [registry],
  })

  return {
    countEventForwarded: (type: string) => eventsForwarded.inc({ type }),
    countReplayDropped: () => replaysDropped.inc(),
    sseOpened: () => sseClients.inc(),
    sseClosed: (why: 'ended' | 'disconnected' | 'overflow') => {
      sseClients.dec()
      sseClosed.inc({ why })
    },
    registry,
    observeWebhookDelivery: (outcome: string, durationMs: number) => {
      webhookDeliveries.inc({ outcome })
      // a dropped event was never attempted: no latency to tell
      if (outcome !== 'dropped') webhookLatency.observe(durationMs / 1000)
    },
    countSpawn: () => spawned.inc(),
    countReuse: () => reused.inc(),
    countResumeFallback: (reason: string) => resumeFallbacks.inc({ reason }),
    observeRequest,
    requestObserver,
    observeRpc: (ms: number) => rpcDuration.observe(ms / 1000),
    countRestart: (reason: string) => restarts.inc({ cause: restartCause(reason) }),
    countIdempotentReplay: () => idempotentReplays.inc(),
    countIdempotencyKeyReused: () => idempotencyKeyReused.inc(),
    countIdempotentWaiters: (delta: number) => idempotentWaiters.inc(delta),
  }
}
