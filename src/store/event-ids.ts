import type { Database } from 'bun:sqlite'
import type { EventIdStore } from './types.ts'

export function createMemoryEventIdStore(): EventIdStore {
  const reserved = new Map<string, number>()
  return {
    async reserve(botId, count) {
      const first = (reserved.get(botId) ?? 0) + 1
      reserved.set(botId, first + count - 1)
      return first
    },
    reservedThrough: async (botId) => reserved.get(botId) ?? 0,
    async giveBack(botId, lastUsed) {
      if ((reserved.get(botId) ?? 0) > lastUsed) reserved.set(botId, lastUsed)
    },
  }
}

/** One upsert per block: the counter row is the only I/O events cost, once per `count` ids. */
export function createSqliteEventIdStore(db: Database): EventIdStore {
  const bump = db.query<{ reserved_through: number }, { botId: string; count: number }>(
    `INSERT INTO event_counters (bot_id, reserved_through) VALUES ($botId, $count)
     ON CONFLICT (bot_id) DO UPDATE SET reserved_through = reserved_through + $count
     RETURNING reserved_through`,
  )
  const read = db.query<{ reserved_through: number }, { botId: string }>(
    'SELECT reserved_through FROM event_counters WHERE bot_id = $botId',
  )
  const lower = db.query<never, { botId: string; lastUsed: number }>(
    'UPDATE event_counters SET reserved_through = $lastUsed WHERE bot_id = $botId AND reserved_through > $lastUsed',
  )
  return {
    async reserve(botId, count) {
      const row = bump.get({ botId, count })
      return (row?.reserved_through ?? count) - count + 1
    },
    reservedThrough: async (botId) => read.get({ botId })?.reserved_through ?? 0,
    async giveBack(botId, lastUsed) {
      lower.run({ botId, lastUsed })
    },
  }
}
