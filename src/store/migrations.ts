import type { Database } from 'bun:sqlite'
import { StoreError } from './errors.ts'

/**
 * The schema, as an ordered list of steps. A database records the last step applied in SQLite's `user_version`
 * pragma; opening runs the missing ones, all in one transaction (a failure leaves the file as it was). Steps are
 * never edited once released: a change is a new step at the end.
 */
export type Migration = { version: number; name: string; up: (db: Database) => void }

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'key check, bots, sessions, event id counters',
    up(db) {
      // STRICT tables: SQLite rejects a value of the wrong type instead of storing it as given.
      db.run('CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT')
      db.run(`CREATE TABLE bots (
        bot_key TEXT PRIMARY KEY,            -- SHA-256 (hex) of the token, as the pool names a bot (botKeyOf)
        bot_id TEXT NOT NULL,                -- the bot's Discord user id
        token BLOB NOT NULL,                 -- sealed (src/store/crypto.ts), bound to 'bots:' || bot_key
        intents INTEGER NOT NULL,
        desired_state TEXT NOT NULL CHECK (desired_state IN ('running', 'stopped')),
        gateway_session_id TEXT,             -- the last gateway session, for RESUME (all NULL: none)
        gateway_sequence INTEGER,
        gateway_resume_url TEXT,
        gateway_shard_id INTEGER,
        gateway_shard_count INTEGER,
        updated_at INTEGER NOT NULL          -- ms since the epoch
      ) STRICT`)
      db.run('CREATE INDEX bots_by_bot_id ON bots (bot_id)')
      db.run(`CREATE TABLE sessions (
        session_hash TEXT PRIMARY KEY,       -- SHA-256 (hex) of the session id: the id itself is never stored
        label TEXT NOT NULL,                 -- its first 6 characters, as logs show it
        bot_key TEXT NOT NULL,
        bot_id TEXT NOT NULL,
        worker_id TEXT NOT NULL,             -- the worker whose lease it held; a restart assigns a new one
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL
      ) STRICT`)
      db.run('CREATE INDEX sessions_by_bot ON sessions (bot_key)')
      db.run(`CREATE TABLE event_counters (
        bot_id TEXT PRIMARY KEY,
        reserved_through INTEGER NOT NULL    -- the highest event id handed out (or reserved) for the bot
      ) STRICT`)
    },
  },
  {
    version: 2,
    name: 'idempotency keys with their sealed answers',
    up(db) {
      db.run(`CREATE TABLE idempotency_keys (
        bot_id TEXT NOT NULL,
        key TEXT NOT NULL,                   -- the client's Idempotency-Key (printable ASCII, not a secret)
        state TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
        fingerprint TEXT NOT NULL,           -- a hash of method, path, query and body
        answer BLOB,                         -- sealed, bound to the bot and the key (sqlite-idempotency.ts); NULL in flight
        expires_at INTEGER NOT NULL,         -- ms since the epoch: the answer's end, or the in-flight mark's lease
        PRIMARY KEY (bot_id, key)
      ) STRICT`)
      db.run('CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at)')
    },
  },
  {
    version: 3,
    name: 'webhooks and their last deliveries',
    up(db) {
      db.run(`CREATE TABLE webhooks (
        bot_id TEXT NOT NULL,
        webhook_id TEXT NOT NULL,
        url TEXT NOT NULL,                   -- listed by the API; a URL with credentials is refused
        events TEXT NOT NULL,                -- JSON array of event types
        secret BLOB NOT NULL,                -- the signing secret, sealed, bound to bot and webhook (store-sqlite.ts)
        created_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
        disabled_reason TEXT,
        disabled_at INTEGER,
        failing_since INTEGER,
        PRIMARY KEY (bot_id, webhook_id)
      ) STRICT`)
      db.run(`CREATE TABLE webhook_deliveries (
        seq INTEGER PRIMARY KEY,             -- insertion order: newest last
        bot_id TEXT NOT NULL,
        webhook_id TEXT NOT NULL,
        event_id INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        status_code INTEGER,
        duration_ms REAL NOT NULL,
        error TEXT,
        at INTEGER NOT NULL,
        FOREIGN KEY (bot_id, webhook_id) REFERENCES webhooks (bot_id, webhook_id) ON DELETE CASCADE
      ) STRICT`)
      db.run('CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (bot_id, webhook_id, seq)')
    },
  },
]

export const latestVersion = (migrations: readonly Migration[]): number => migrations.at(-1)?.version ?? 0

/** Brings the database to the newest version in `migrations`; refuses a database newer than the code. */
export function migrate(db: Database, file: string, migrations: readonly Migration[] = MIGRATIONS): void {
  const current = (db.query('PRAGMA user_version').get() as { user_version: number }).user_version
  const latest = latestVersion(migrations)
  if (current > latest) {
    throw new StoreError(
      'schema_too_new',
      file,
      `${file} has schema version ${current}, newer than this Botvisor knows (${latest}): run the newer ` +
        'version, or restore a backup taken before the upgrade',
    )
  }
  const missing = migrations.filter((migration) => migration.version > current)
  if (missing.length === 0) return
  db.transaction(() => {
    for (const migration of missing) migration.up(db)
    // PRAGMA takes no bound parameters; the version is a number from the code, never input.
    db.run(`PRAGMA user_version = ${latest}`)
  }).immediate()
}
