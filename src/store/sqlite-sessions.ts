import type { Database } from 'bun:sqlite'
import type { SessionPersistence, StoredSession } from './session-store.ts'

type SessionRow = {
  session_hash: string
  label: string
  bot_key: string
  bot_id: string
  worker_id: string
  created_at: number
  last_used_at: number
}

/** The sessions table: every row is read once at open; after that, only writes. */
export function createSqliteSessionPersistence(db: Database): {
  restored: StoredSession[]
  persistence: SessionPersistence
} {
  const rows = db.query<SessionRow, []>('SELECT * FROM sessions').all()
  const insert = db.query(
    `INSERT INTO sessions (session_hash, label, bot_key, bot_id, worker_id, created_at, last_used_at)
     VALUES ($hash, $label, $botKey, $botId, $workerId, $createdAt, $lastUsedAt)`,
  )
  const remove = db.query('DELETE FROM sessions WHERE session_hash = $hash')
  const touch = db.query('UPDATE sessions SET last_used_at = $lastUsedAt WHERE session_hash = $hash')
  const removeMany = db.transaction((hashes: string[]) => {
    for (const hash of hashes) remove.run({ hash })
  })
  const touchMany = db.transaction((entries: Array<{ hash: string; lastUsedAt: number }>) => {
    for (const entry of entries) touch.run(entry)
  })
  return {
    restored: rows.map((row) => ({
      hash: row.session_hash,
      label: row.label,
      botKey: row.bot_key,
      botId: row.bot_id,
      workerId: row.worker_id,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
    })),
    persistence: {
      insert: async ({ hash, label, botKey, botId, workerId, createdAt, lastUsedAt }) => {
        insert.run({ hash, label, botKey, botId, workerId, createdAt, lastUsedAt })
      },
      remove: async (hashes) => removeMany(hashes),
      writeLastUsed: async (entries) => touchMany(entries),
    },
  }
}
