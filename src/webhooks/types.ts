import type { EventType } from '../events/types.ts'

export type WebhookStatus = 'active' | 'disabled'

/** A webhook as stored; `secret` never leaves the service after the 201 that created it. */
export type StoredWebhook = {
  webhookId: string
  /** The bot's Discord id: every session of the bot sees the webhook, no other bot's does. */
  botId: string
  url: string
  events: EventType[]
  secret: string
  createdAt: number
  status: WebhookStatus
  disabledReason: string | null
  disabledAt: number | null
  /** When the current run of failures began (no success since); null while the last attempt succeeded. */
  failingSince: number | null
}

/**
 * - delivered: the receiver answered 2xx
 * - retrying: this attempt failed and another will follow
 * - failed: this attempt failed and was the last for the event (a final 4xx, the guard, or attempts used up)
 * - dropped: the event was never attempted (queue full, or the webhook was disabled or deleted meanwhile)
 */
export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'dropped'

export type DeliveryRecord = {
  /** The bot's event id; 0 for a test delivery (POST /api/webhooks/:id/test), which is never a real event. */
  eventId: number
  eventType: string
  /** 1 for the first attempt; 0 for an event dropped before any attempt. */
  attempt: number
  outcome: DeliveryOutcome
  statusCode: number | null
  durationMs: number
  error: string | null
  at: number
}
