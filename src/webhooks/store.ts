import type { DeliveryRecord, StoredWebhook } from './types.ts'

/** The last attempts kept per webhook, newest first (GET /api/webhooks/:id/deliveries). */
export const DELIVERIES_KEPT = 100

export type WebhookPatch = Partial<Pick<StoredWebhook, 'status' | 'disabledReason' | 'disabledAt' | 'failingSince'>>

/**
 * Where webhooks and their recent deliveries live. Async and keyed by (botId, webhookId) so a SQLite table or a
 * Redis hash per bot can stand in later (issue #13); every check-and-write is one call, so it can be one
 * transaction (or Lua script) there.
 */
export interface WebhookStore {
  /** Adds the webhook unless the bot already has `maxPerBot`; one step, so concurrent creates cannot pass it. */
  create(webhook: StoredWebhook, maxPerBot: number): Promise<'created' | 'limit_reached'>
  get(botId: string, webhookId: string): Promise<StoredWebhook | undefined>
  listByBot(botId: string): Promise<StoredWebhook[]>
  /** Every webhook of every bot: what a restarted service subscribes to again. */
  listAll(): Promise<StoredWebhook[]>
  update(botId: string, webhookId: string, patch: WebhookPatch): Promise<void>
  /** False when there was no such webhook of this bot. Its deliveries go with it. */
  delete(botId: string, webhookId: string): Promise<boolean>
  /** Keeps the newest DELIVERIES_KEPT per webhook; nothing once the webhook is deleted (an attempt may end after). */
  recordDelivery(botId: string, webhookId: string, record: DeliveryRecord): Promise<void>
  /** Newest first. */
  deliveries(botId: string, webhookId: string): Promise<DeliveryRecord[]>
}

export function createMemoryWebhookStore(): WebhookStore {
  const byBot = new Map<string, Map<string, StoredWebhook>>()
  const history = new Map<string, DeliveryRecord[]>()
  const copy = (webhook: StoredWebhook): StoredWebhook => ({ ...webhook, events: [...webhook.events] })
  return {
    async create(webhook, maxPerBot) {
      const hooks = byBot.get(webhook.botId) ?? new Map<string, StoredWebhook>()
      if (hooks.size >= maxPerBot) return 'limit_reached'
      hooks.set(webhook.webhookId, copy(webhook))
      byBot.set(webhook.botId, hooks)
      return 'created'
    },
    async get(botId, webhookId) {
      const found = byBot.get(botId)?.get(webhookId)
      return found && copy(found)
    },
    async listByBot(botId) {
      return [...(byBot.get(botId)?.values() ?? [])].map(copy)
    },
    async listAll() {
      return [...byBot.values()].flatMap((hooks) => [...hooks.values()].map(copy))
    },
    async update(botId, webhookId, patch) {
      const found = byBot.get(botId)?.get(webhookId)
      if (found) Object.assign(found, patch)
    },
    async delete(botId, webhookId) {
      const hooks = byBot.get(botId)
      if (!hooks?.delete(webhookId)) return false
      if (hooks.size === 0) byBot.delete(botId)
      history.delete(webhookId)
      return true
    },
    async recordDelivery(botId, webhookId, record) {
      if (!byBot.get(botId)?.has(webhookId)) return
      const kept = history.get(webhookId) ?? []
      kept.unshift(record)
      if (kept.length > DELIVERIES_KEPT) kept.length = DELIVERIES_KEPT
      history.set(webhookId, kept)
    },
    async deliveries(_botId, webhookId) {
      return [...(history.get(webhookId) ?? [])]
    },
  }
}
