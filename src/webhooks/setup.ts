import type { Config } from '../config.ts'
import type { EventFeed } from '../events/types.ts'
import type { Logger } from '../log.ts'
import { createMemoryWebhookStore, type WebhookStore } from './store.ts'
import type { DeliveryOutcome } from './types.ts'
import { createWebhooks, type Webhooks } from './webhooks.ts'

export const WEBHOOK_USER_AGENT = 'Botvisor-Webhooks/1.0'

/** The service's webhooks, settings from the config (read once at start-up). */
export function createWebhookService(deps: {
  config: Config
  log: Logger
  feed: EventFeed
  store?: WebhookStore
  onAttempt?: (outcome: DeliveryOutcome, durationMs: number) => void
}): Webhooks {
  const { config, log } = deps
  const webhooks = createWebhooks({
    feed: deps.feed,
    store: deps.store ?? createMemoryWebhookStore(),
    log,
    onAttempt: deps.onAttempt,
    settings: {
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
      disableAfterMs: config.WEBHOOK_DISABLE_AFTER_MS,
      retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: config.WEBHOOK_RETRY_MAX_MS,
      queueMax: config.WEBHOOK_QUEUE_MAX,
      allowPrivate: config.ALLOW_PRIVATE_WEBHOOKS,
      maxPerBot: config.MAX_WEBHOOKS_PER_BOT,
      userAgent: WEBHOOK_USER_AGENT,
    },
  })
  // a durable store (issue #13) brings webhooks back after a restart; a failure leaves them unsubscribed, logged
  void webhooks.restore().catch((err: unknown) => log.error({ err }, 'webhooks could not be restored'))
  return webhooks
}
