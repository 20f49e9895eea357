import { describe, expect, test } from 'bun:test'
import { createSealer, importTokenKey } from '../src/store/crypto.ts'
import { openDatabase } from '../src/store/sqlite.ts'
import { createMemoryWebhookStore, DELIVERIES_KEPT, type WebhookStore } from '../src/webhooks/store.ts'
import { createSqliteWebhookStore } from '../src/webhooks/store-sqlite.ts'
import type { DeliveryRecord, StoredWebhook } from '../src/webhooks/types.ts'
import { KEY_A } from './support/store-fixtures.ts'

type Backend = { name: string; open: () => Promise<WebhookStore> }

/** One table of tests, two backends: the SQLite one on the real schema, in a database of its own. */
const BACKENDS: Backend[] = [
  { name: 'in-memory', open: async () => createMemoryWebhookStore() },
  {
    name: 'SQLite',
    async open() {
      const { db } = openDatabase(':memory:')
      return createSqliteWebhookStore(db, createSealer(await importTokenKey(Buffer.from(KEY_A, 'base64'))), ':memory:')
    },
  },
]

const webhook = (botId: string, n: number, overrides: Partial<StoredWebhook> = {}): StoredWebhook => ({
  webhookId: `wh_${botId}_${n}`,
  botId,
  url: `https://receiver.example/${n}`,
  events: ['messageCreate', 'ready'],
  secret: `whsec_${botId}_${n}_secret-value`,
  createdAt: 1_000 + n,
  status: 'active',
  disabledReason: null,
  disabledAt: null,
  failingSince: null,
  ...overrides,
})

const delivery = (eventId: number, overrides: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
  eventId,
  eventType: 'messageCreate',
  attempt: 1,
  outcome: 'delivered',
  statusCode: 200,
  durationMs: 12.5,
  error: null,
  at: 2_000 + eventId,
  ...overrides,
})

describe.each(BACKENDS)('the $name webhook store', ({ open }) => {
  test('a created webhook is found by its bot with its secret, and by no other bot', async () => {
    const store = await open()
    const created = webhook('1', 1)
    expect(await store.create(created, 20)).toBe('created')
    expect(await store.get('1', created.webhookId)).toEqual(created)
    expect(await store.get('2', created.webhookId)).toBeUndefined()
    expect(await store.listByBot('1')).toEqual([created])
    expect(await store.listByBot('2')).toEqual([])
  })

  test('a bot has at most maxPerBot webhooks; other bots are not counted against it', async () => {
    const store = await open()
    expect(await store.create(webhook('1', 1), 2)).toBe('created')
    expect(await store.create(webhook('1', 2), 2)).toBe('created')
    expect(await store.create(webhook('1', 3), 2)).toBe('limit_reached')
    expect(await store.create(webhook('2', 1), 2)).toBe('created')
    expect((await store.listByBot('1')).map((w) => w.webhookId).sort()).toEqual(['wh_1_1', 'wh_1_2'])
    expect((await store.listAll()).length).toBe(3)
    // concurrent creates are one step each: never past the limit
    const outcomes = await Promise.all([4, 5, 6].map((n) => store.create(webhook('3', n), 1)))
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1)
  })

  test('update changes only the fields given; null clears failingSince', async () => {
    const store = await open()
    await store.create(webhook('1', 1), 20)
    await store.update('1', 'wh_1_1', { failingSince: 5_000 })
    expect(await store.get('1', 'wh_1_1')).toMatchObject({ failingSince: 5_000, status: 'active' })
    await store.update('1', 'wh_1_1', { status: 'disabled', disabledReason: 'failing for 3 days', disabledAt: 9 })
    expect(await store.get('1', 'wh_1_1')).toMatchObject({
      status: 'disabled',
      disabledReason: 'failing for 3 days',
      disabledAt: 9,
      failingSince: 5_000,
    })
    await store.update('1', 'wh_1_1', { failingSince: null })
    expect((await store.get('1', 'wh_1_1'))?.failingSince).toBeNull()
    await store.update('1', 'unknown', { status: 'disabled' }) // nothing to update, no error
    expect(await store.get('1', 'unknown')).toBeUndefined()
  })

  test('deliveries are listed newest first, and only the last DELIVERIES_KEPT are kept', async () => {
    const store = await open()
    await store.create(webhook('1', 1), 20)
    await store.create(webhook('1', 2), 20)
    for (let id = 1; id <= DELIVERIES_KEPT + 5; id++) await store.recordDelivery('1', 'wh_1_1', delivery(id))
    await store.recordDelivery('1', 'wh_1_2', delivery(7, { outcome: 'failed', statusCode: null, error: 'timeout' }))
    const kept = await store.deliveries('1', 'wh_1_1')
    expect(kept).toHaveLength(DELIVERIES_KEPT)
    expect(kept[0]).toEqual(delivery(DELIVERIES_KEPT + 5))
    expect(kept.at(-1)).toEqual(delivery(6))
    expect(await store.deliveries('1', 'wh_1_2')).toEqual([
      delivery(7, { outcome: 'failed', statusCode: null, error: 'timeout' }),
    ])
  })

  test('a deleted webhook takes its deliveries along, and an attempt ending after records nothing', async () => {
    const store = await open()
    await store.create(webhook('1', 1), 20)
    await store.recordDelivery('1', 'wh_1_1', delivery(1))
    expect(await store.delete('2', 'wh_1_1')).toBe(false) // another bot's
    expect(await store.delete('1', 'wh_1_1')).toBe(true)
    expect(await store.delete('1', 'wh_1_1')).toBe(false)
    await store.recordDelivery('1', 'wh_1_1', delivery(2))
    expect(await store.deliveries('1', 'wh_1_1')).toEqual([])
    // the same id created again starts with an empty history
    await store.create(webhook('1', 1), 20)
    expect(await store.deliveries('1', 'wh_1_1')).toEqual([])
  })

  test('what a caller changes in a returned webhook does not change the stored one', async () => {
    const store = await open()
    await store.create(webhook('1', 1), 20)
    const got = await store.get('1', 'wh_1_1')
    got?.events.push('typingStart')
    if (got) got.url = 'https://elsewhere.example/'
    expect(await store.get('1', 'wh_1_1')).toEqual(webhook('1', 1))
  })
})
