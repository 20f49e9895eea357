import type { Database } from 'bun:sqlite'
import type { EventType } from '../events/types.ts'
import type { Sealer } from '../store/crypto.ts'
import { StoreError } from '../store/errors.ts'
import { DELIVERIES_KEPT, type WebhookPatch, type WebhookStore } from './store.ts'
import type { DeliveryOutcome, DeliveryRecord, StoredWebhook, WebhookStatus } from './types.ts'

type WebhookRow = {
  bot_id: string
  webhook_id: string
  url: string
  events: string
  secret: Uint8Array
  created_at: number
  status: WebhookStatus
  disabled_reason: string | null
  disabled_at: number | null
  failing_since: number | null
}

type DeliveryRow = {
  event_id: number
  event_type: string
  attempt: number
  outcome: DeliveryOutcome
  status_code: number | null
  duration_ms: number
  error: string | null
  at: number
}

/** The row identity a signing secret is sealed to: a secret copied into another webhook's row does not open. */
const secretRow = (botId: string, webhookId: string) => `webhooks:${botId}\n${webhookId}`

const toDelivery = (row: DeliveryRow): DeliveryRecord => ({
  eventId: row.event_id,
  eventType: row.event_type,
  attempt: row.attempt,
  outcome: row.outcome,
  statusCode: row.status_code,
  durationMs: row.duration_ms,
  error: row.error,
  at: row.at,
})

/**
 * Webhooks and their last DELIVERIES_KEPT deliveries in SQLite (tables webhooks, webhook_deliveries). The signing
 * secret is sealed with the store's key; the URL is not (the API lists it, and refuses one with credentials).
 * Each check-and-write is one transaction, run synchronously by bun:sqlite, so two creates cannot both pass the
 * per-bot limit. Deliveries go with their webhook (ON DELETE CASCADE).
 */
export function createSqliteWebhookStore(db: Database, sealer: Sealer, file: string): WebhookStore {
  const insert = db.query(
    `INSERT INTO webhooks (bot_id, webhook_id, url, events, secret, created_at, status, disabled_reason,
       disabled_at, failing_since)
     VALUES ($botId, $webhookId, $url, $events, $secret, $createdAt, $status, $disabledReason, $disabledAt,
       $failingSince)`,
  )
  const countForBot = db.query<{ n: number }, { botId: string }>(
    'SELECT count(*) AS n FROM webhooks WHERE bot_id = $botId',
  )
  const selectOne = db.query<WebhookRow, { botId: string; webhookId: string }>(
    'SELECT * FROM webhooks WHERE bot_id = $botId AND webhook_id = $webhookId',
  )
  const selectByBot = db.query<WebhookRow, { botId: string }>(
    'SELECT * FROM webhooks WHERE bot_id = $botId ORDER BY created_at, webhook_id',
  )
  const selectAll = db.query<WebhookRow, []>('SELECT * FROM webhooks ORDER BY bot_id, created_at, webhook_id')
  const updateState = db.query(
    `UPDATE webhooks SET status = $status, disabled_reason = $disabledReason, disabled_at = $disabledAt,
       failing_since = $failingSince
     WHERE bot_id = $botId AND webhook_id = $webhookId`,
  )
  const remove = db.query('DELETE FROM webhooks WHERE bot_id = $botId AND webhook_id = $webhookId')
  const insertDelivery = db.query(
    `INSERT INTO webhook_deliveries (bot_id, webhook_id, event_id, event_type, attempt, outcome, status_code,
       duration_ms, error, at)
     SELECT $botId, $webhookId, $eventId, $eventType, $attempt, $outcome, $statusCode, $durationMs, $error, $at
     WHERE EXISTS (SELECT 1 FROM webhooks WHERE bot_id = $botId AND webhook_id = $webhookId)`,
  )
  // the row DELIVERIES_KEPT places back, and everything older: one indexed range per insert, never a scan
  const prune = db.query(
    `DELETE FROM webhook_deliveries WHERE bot_id = $botId AND webhook_id = $webhookId AND seq <= (
       SELECT seq FROM webhook_deliveries WHERE bot_id = $botId AND webhook_id = $webhookId
       ORDER BY seq DESC LIMIT 1 OFFSET ${DELIVERIES_KEPT})`,
  )
  const selectDeliveries = db.query<DeliveryRow, { botId: string; webhookId: string }>(
    `SELECT * FROM webhook_deliveries WHERE bot_id = $botId AND webhook_id = $webhookId
     ORDER BY seq DESC LIMIT ${DELIVERIES_KEPT}`,
  )

  const create = db.transaction((row: Record<string, string | number | null | Uint8Array>, maxPerBot: number) => {
    if ((countForBot.get({ botId: row.botId as string })?.n ?? 0) >= maxPerBot) return 'limit_reached' as const
    insert.run(row)
    return 'created' as const
  })
  const update = db.transaction((botId: string, webhookId: string, patch: WebhookPatch) => {
    const row = selectOne.get({ botId, webhookId })
    if (!row) return
    updateState.run({
      botId,
      webhookId,
      status: patch.status ?? row.status,
      disabledReason: patch.disabledReason !== undefined ? patch.disabledReason : row.disabled_reason,
      disabledAt: patch.disabledAt !== undefined ? patch.disabledAt : row.disabled_at,
      failingSince: patch.failingSince !== undefined ? patch.failingSince : row.failing_since,
    })
  })
  const record = db.transaction((botId: string, webhookId: string, entry: DeliveryRecord) => {
    const { eventId, eventType, attempt, outcome, statusCode, durationMs, error, at } = entry
    const params = { botId, webhookId, eventId, eventType, attempt, outcome, statusCode, durationMs, error, at }
    if (insertDelivery.run(params).changes > 0) prune.run({ botId, webhookId })
  })

  async function toWebhook(row: WebhookRow): Promise<StoredWebhook> {
    const secret = await sealer.open(row.secret, secretRow(row.bot_id, row.webhook_id))
    // the key check passed at open, so this row was altered or moved: never sign with a guess
    if (secret === undefined) {
      throw new StoreError('corrupt', file, `${file}: the secret of webhook ${row.webhook_id} does not decrypt`)
    }
    return {
      webhookId: row.webhook_id,
      botId: row.bot_id,
      url: row.url,
      events: JSON.parse(row.events) as EventType[],
      secret,
      createdAt: row.created_at,
      status: row.status,
      disabledReason: row.disabled_reason,
      disabledAt: row.disabled_at,
      failingSince: row.failing_since,
    }
  }

  return {
    async create(webhook, maxPerBot) {
      const secret = await sealer.seal(webhook.secret, secretRow(webhook.botId, webhook.webhookId))
      return create(
        {
          botId: webhook.botId,
          webhookId: webhook.webhookId,
          url: webhook.url,
          events: JSON.stringify(webhook.events),
          secret,
          createdAt: webhook.createdAt,
          status: webhook.status,
          disabledReason: webhook.disabledReason,
          disabledAt: webhook.disabledAt,
          failingSince: webhook.failingSince,
        },
        maxPerBot,
      )
    },
    async get(botId, webhookId) {
      const row = selectOne.get({ botId, webhookId })
      return row ? toWebhook(row) : undefined
    },
    listByBot: (botId) => Promise.all(selectByBot.all({ botId }).map(toWebhook)),
    listAll: () => Promise.all(selectAll.all().map(toWebhook)),
    async update(botId, webhookId, patch) {
      update(botId, webhookId, patch)
    },
    async delete(botId, webhookId) {
      return remove.run({ botId, webhookId }).changes > 0
    },
    async recordDelivery(botId, webhookId, entry) {
      record(botId, webhookId, entry)
    },
    async deliveries(botId, webhookId) {
      return selectDeliveries.all({ botId, webhookId }).map(toDelivery)
    },
  }
}
