import type { Database } from 'bun:sqlite'
import type { Sealer } from './crypto.ts'
import { StoreError } from './errors.ts'
import type { IdempotencyStore, KeyState, StoredAnswer } from './idempotency.ts'
import { IN_FLIGHT_LEASE_MS } from './idempotency-memory.ts'

type KeyRow = { fingerprint: string; answer: Uint8Array | null; expires_at: number }

/** The row identity an answer is sealed to: an answer copied to another key or bot does not open. */
const answerRow = (botId: string, key: string) => `idempotency_keys:${botId}\n${key}`

/**
 * Idempotency-Key answers in SQLite (table idempotency_keys). An answer is sealed with the store's key: it may hold
 * a webhook's signing secret (the 201 that created it) or a user's message. One `expires_at` column serves both
 * states: the answer's end of life (`ttlMs` after completion) or the in-flight mark's lease. Expiry needs no timer
 * per key: each begin() deletes what has expired through the index on expires_at, and reads check the time too.
 * Past `maxKeys` answers (all bots together) the ones closest to expiry go first, as in memory.
 *
 * Every method runs its statements synchronously (bun:sqlite), so a check-and-claim cannot interleave with
 * another request of this process; only this process writes the file, so in-flight marks left by a process that
 * died are cleared at open (no request of that process can still complete them).
 */
export function createSqliteIdempotencyStore(
  db: Database,
  sealer: Sealer,
  file: string,
  options: { ttlMs: number; maxKeys: number; now: () => number; leaseMs?: number },
): IdempotencyStore {
  const { ttlMs, maxKeys, now, leaseMs = IN_FLIGHT_LEASE_MS } = options
  db.run("DELETE FROM idempotency_keys WHERE state = 'in_flight'")
  const select = db.query<KeyRow, { botId: string; key: string }>(
    'SELECT fingerprint, answer, expires_at FROM idempotency_keys WHERE bot_id = $botId AND key = $key',
  )
  const sweepAnswers = db.query("DELETE FROM idempotency_keys WHERE expires_at <= $at AND state = 'done'")
  const sweepLeases = db.query("DELETE FROM idempotency_keys WHERE expires_at <= $at AND state = 'in_flight'")
  const claim = db.query(
    `INSERT INTO idempotency_keys (bot_id, key, state, fingerprint, answer, expires_at)
     VALUES ($botId, $key, 'in_flight', $fingerprint, NULL, $expiresAt)`,
  )
  const keep = db.query(
    `INSERT INTO idempotency_keys (bot_id, key, state, fingerprint, answer, expires_at)
     VALUES ($botId, $key, 'done', $fingerprint, $answer, $expiresAt)
     ON CONFLICT (bot_id, key) DO UPDATE SET state = 'done', fingerprint = $fingerprint, answer = $answer,
       expires_at = $expiresAt`,
  )
  const release = db.query("DELETE FROM idempotency_keys WHERE bot_id = $botId AND key = $key AND state = 'in_flight'")
  const evictOldest = db.query(
    `DELETE FROM idempotency_keys WHERE rowid IN (
       SELECT rowid FROM idempotency_keys WHERE state = 'done' ORDER BY expires_at LIMIT $excess)`,
  )
  // counted once at open, then kept by each write: a count(*) per completion would read the whole index
  let kept =
    db.query<{ n: number }, []>("SELECT count(*) AS n FROM idempotency_keys WHERE state = 'done'").get()?.n ?? 0

  const begin = db.transaction((botId: string, key: string, fingerprint: string, at: number) => {
    kept -= sweepAnswers.run({ at }).changes
    sweepLeases.run({ at })
    const row = select.get({ botId, key })
    if (row) return row
    claim.run({ botId, key, fingerprint, expiresAt: at + leaseMs })
    return undefined
  })
  const complete = db.transaction((botId: string, key: string, fingerprint: string, sealed: Uint8Array) => {
    const wasKept = select.get({ botId, key })?.answer != null
    keep.run({ botId, key, fingerprint, answer: sealed, expiresAt: now() + ttlMs })
    if (!wasKept) kept += 1
    if (kept > maxKeys) kept -= evictOldest.run({ excess: kept - maxKeys }).changes
  })

  async function stateOf(botId: string, key: string, row: KeyRow): Promise<KeyState> {
    if (row.answer === null) return { state: 'in_flight', fingerprint: row.fingerprint }
    const opened = await sealer.open(row.answer, answerRow(botId, key))
    // the key check passed at open, so this row was altered or moved: never replay a guess
    if (opened === undefined) {
      throw new StoreError('corrupt', file, `${file}: a stored Idempotency-Key answer does not decrypt`)
    }
    return { state: 'done', fingerprint: row.fingerprint, answer: JSON.parse(opened) as StoredAnswer }
  }

  return {
    async begin(botId, key, fingerprint) {
      // the sweep ran first with the same time: a row found is live
      const row = begin(botId, key, fingerprint, now())
      return row ? stateOf(botId, key, row) : { state: 'claimed' }
    },
    async get(botId, key) {
      const row = select.get({ botId, key })
      // an expired row stays until the next begin() sweeps: check the time of each one read
      return row && row.expires_at > now() ? stateOf(botId, key, row) : undefined
    },
    async complete(botId, key, fingerprint, answer) {
      const sealed = await sealer.seal(JSON.stringify(answer), answerRow(botId, key))
      complete(botId, key, fingerprint, sealed)
    },
    async release(botId, key) {
      release.run({ botId, key })
    },
  }
}
