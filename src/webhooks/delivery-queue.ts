import type { PublishedEvent } from '../events/types.ts'
import type { Logger } from '../log.ts'
import { postOnce } from './deliver.ts'
import type { Resolve } from './address-guard.ts'
import { judge, retryDelayMs, type AttemptResult } from './retry-policy.ts'
import { signatureHeader } from './signature.ts'
import type { WebhookStore } from './store.ts'
import type { DeliveryOutcome, DeliveryRecord, StoredWebhook } from './types.ts'

/** Time as the queues see it: tests drive retries and the 24 h disable rule without sleeping. */
export type WebhookClock = {
  now(): number
  /** Resolves after `ms`, or rejects once `signal` aborts. */
  wait(ms: number, signal: AbortSignal): Promise<void>
}

export const systemClock: WebhookClock = {
  now: () => Date.now(),
  wait: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason)
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', cancel)
        resolve()
      }, ms)
      const cancel = () => {
        clearTimeout(timer)
        reject(signal.reason)
      }
      signal.addEventListener('abort', cancel, { once: true })
    }),
}

export type DeliverySettings = {
  timeoutMs: number
  maxAttempts: number
  disableAfterMs: number
  retryBaseMs: number
  retryMaxMs: number
  queueMax: number
  allowPrivate: boolean
  userAgent: string
}

export type DeliveryDeps = {
  settings: DeliverySettings
  store: WebhookStore
  log: Logger
  clock: WebhookClock
  random: () => number
  resolve?: Resolve
  onAttempt?: (outcome: DeliveryOutcome, durationMs: number) => void
}

export type DeliveryQueue = {
  enqueue(published: PublishedEvent): void
  /** Events waiting, the one being delivered included. */
  size(): number
  /** One attempt now, outside the queue (POST /test): recorded, never retried, never counted as failing. */
  sendOnce(eventId: number, eventType: string, json: string): Promise<DeliveryRecord>
  /** Deleted or shutting down: the attempt in flight is aborted and nothing more is sent. */
  close(): void
}

/** The part of a URL safe to log: a path or query may carry the receiver's own token. */
export const urlOrigin = (url: string): string => new URL(url).origin

/**
 * One webhook's ordered delivery: events wait in a FIFO while the head is delivered with retries, so the receiver
 * sees them in id order. The feed listener only calls enqueue() (a push); the work runs on this queue's own async
 * loop, so a slow or dead receiver holds up only its own queue. Past `queueMax` waiting events, new ones are
 * dropped, each recorded in the deliveries list and counted (outcome `dropped`).
 */
export function createDeliveryQueue(initial: StoredWebhook, deps: DeliveryDeps): DeliveryQueue {
  const { settings, store, clock } = deps
  const webhook = { ...initial }
  const url = new URL(webhook.url)
  const log = deps.log.child({ webhook: webhook.webhookId, bot: webhook.botId, target: url.origin })
  const closing = new AbortController()
  const waiting: PublishedEvent[] = []
  let pumping = false
  let dropping = false

  const record = (entry: DeliveryRecord) => {
    deps.onAttempt?.(entry.outcome, entry.durationMs)
    return store.recordDelivery(webhook.botId, webhook.webhookId, entry)
  }

  async function attempt(eventId: number, json: string): Promise<{ result: AttemptResult; durationMs: number }> {
    const timestamp = Math.floor(clock.now() / 1000)
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': settings.userAgent,
      'Botvisor-Event-Id': String(eventId),
      'Botvisor-Timestamp': String(timestamp),
      // signed again per attempt: receivers reject timestamps older than a few minutes, retries run longer
      'Botvisor-Signature': signatureHeader(webhook.secret, timestamp, json),
    }
    const started = performance.now()
    const result = await postOnce(url, json, headers, {
      timeoutMs: settings.timeoutMs,
      allowPrivate: settings.allowPrivate,
      resolve: deps.resolve,
      signal: closing.signal,
      now: clock.now,
    })
    return { result, durationMs: Math.round((performance.now() - started) * 10) / 10 }
  }

  const entryOf =
    (eventId: number, eventType: string, attemptNo: number) =>
    (outcome: DeliveryOutcome, result: AttemptResult, durationMs: number): DeliveryRecord => ({
      eventId,
      eventType,
      attempt: attemptNo,
      outcome,
      statusCode: result.kind === 'answered' ? result.statusCode : null,
      durationMs,
      error: describe(result),
      at: clock.now(),
    })

  async function disable(reason: string) {
    webhook.status = 'disabled'
    const at = clock.now()
    await store.update(webhook.botId, webhook.webhookId, { status: 'disabled', disabledReason: reason, disabledAt: at })
    log.warn({ reason }, 'webhook disabled')
    // what waited behind the failing event will not be sent: say so per event
    for (const left of waiting.splice(1)) await dropRecord(left, 'webhook disabled')
  }

  const dropRecord = (left: PublishedEvent, why: string) =>
    record({
      eventId: left.event.id,
      eventType: left.event.type,
      attempt: 0,
      outcome: 'dropped',
      statusCode: null,
      durationMs: 0,
      error: why,
      at: clock.now(),
    })

  /** Marks the start of a run of failures; true once the run has lasted disableAfterMs. */
  async function failedLongEnough(): Promise<boolean> {
    const now = clock.now()
    if (webhook.failingSince === null) {
      webhook.failingSince = now
      await store.update(webhook.botId, webhook.webhookId, { failingSince: now })
    }
    return now - webhook.failingSince >= settings.disableAfterMs
  }

  async function deliver({ event, json }: PublishedEvent) {
    for (let attemptNo = 1; attemptNo <= settings.maxAttempts; attemptNo++) {
      const { result, durationMs } = await attempt(event.id, json)
      if (closing.signal.aborted) return
      const entry = entryOf(event.id, event.type, attemptNo)
      const verdict = judge(result)
      if (verdict === 'delivered') {
        await record(entry('delivered', result, durationMs))
        if (webhook.failingSince !== null) {
          webhook.failingSince = null
          await store.update(webhook.botId, webhook.webhookId, { failingSince: null })
        }
        return
      }
      const giveUp = await failedLongEnough()
      const last = giveUp || verdict === 'final' || attemptNo === settings.maxAttempts
      await record(entry(last ? 'failed' : 'retrying', result, durationMs))
      log.debug({ eventId: event.id, attempt: attemptNo, last, error: describe(result) }, 'webhook attempt failed')
      if (giveUp) {
        const since = new Date(webhook.failingSince ?? clock.now()).toISOString()
        return disable(`every delivery failed since ${since}; last: ${describe(result)}`)
      }
      if (last) return
      const retryAfterMs = result.kind === 'answered' ? result.retryAfterMs : null
      const policy = { baseMs: settings.retryBaseMs, maxMs: settings.retryMaxMs }
      await clock.wait(retryDelayMs(attemptNo, retryAfterMs, policy, deps.random), closing.signal)
    }
  }

  async function pump() {
    try {
      while (waiting.length > 0 && webhook.status === 'active' && !closing.signal.aborted) {
        const head = waiting[0]
        if (head) await deliver(head)
        waiting.shift()
      }
    } finally {
      // in the same tick as the loop's last check: an enqueue after it starts a new pump
      pumping = false
      dropping = false
    }
  }

  return {
    enqueue(published) {
      if (webhook.status !== 'active' || closing.signal.aborted) return
      // the head is in flight; queueMax more may wait behind it
      if (waiting.length > settings.queueMax) {
        if (!dropping) log.warn({ queueMax: settings.queueMax }, 'webhook queue full: dropping new events')
        dropping = true
        void dropRecord(published, `dropped: ${settings.queueMax} events already waiting`).catch((err: unknown) =>
          log.error({ err }, 'webhook delivery record failed'),
        )
        return
      }
      waiting.push(published)
      if (pumping) return
      pumping = true
      // pump() handles every expected failure itself; what reaches here is a store failure or a bug: logged
      void pump().catch((err: unknown) => {
        if (!closing.signal.aborted) log.error({ err }, 'webhook delivery loop failed')
      })
    },
    size: () => waiting.length,
    async sendOnce(eventId, eventType, json) {
      const { result, durationMs } = await attempt(eventId, json)
      const outcome = judge(result) === 'delivered' ? 'delivered' : 'failed'
      const entry = entryOf(eventId, eventType, 1)(outcome, result, durationMs)
      await record(entry)
      return entry
    },
    close() {
      closing.abort(new Error('webhook closed'))
      waiting.length = 0
    },
  }
}

function describe(result: AttemptResult): string | null {
  switch (result.kind) {
    case 'answered':
      if (result.statusCode >= 200 && result.statusCode < 300) return null
      if (result.statusCode >= 300 && result.statusCode < 400)
        return `HTTP ${result.statusCode}: redirects are not followed`
      return `HTTP ${result.statusCode}`
    case 'timeout':
      return 'timed out'
    case 'network':
    case 'refused':
      return result.message
  }
}
