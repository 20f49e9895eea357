import type { Database } from 'bun:sqlite'
import type { Config } from '../config.ts'
import { createBotRegistry } from './bot-registry.ts'
import { assertKeyCheck, createSealer, type Sealer, sealKeyCheck } from './crypto.ts'
import { type StoreError, toStoreError } from './errors.ts'
import { createSqliteEventIdStore } from './event-ids.ts'
import { createMemoryStore } from './memory.ts'
import type { Migration } from './migrations.ts'
import { createIndexedSessionStore } from './session-store.ts'
import { loadSecretKey } from './secret-key.ts'
import { createSqliteBotPersistence } from './sqlite-bots.ts'
import { openDatabase } from './sqlite.ts'
import { createSqliteSessionPersistence } from './sqlite-sessions.ts'
import { createSqliteWebhookStore } from '../webhooks/store-sqlite.ts'
import { createSqliteIdempotencyStore } from './sqlite-idempotency.ts'
import { DEFAULT_IDEMPOTENCY_LIMITS, type IdempotencyLimits, type Store } from './types.ts'

export type StoreOptions = {
  /** Told once, when a key file is generated (it says to keep the key apart from backups). */
  warn: (message: string) => void
  /** A batched write that failed (disk full…): the batch is kept and retried with the next one. */
  onFlushError: (err: StoreError) => void
  now?: () => number
  /** How often batched writes (last-used times, gateway sessions) reach the disk. */
  flushIntervalMs?: number
  /** IDEMPOTENCY_TTL_MS and IDEMPOTENCY_MAX_KEYS; by default 24 hours and 100 000. */
  idempotency?: IdempotencyLimits
  /** Tests only: another schema history. */
  migrations?: readonly Migration[]
}

/** Every async method's failure as a StoreError naming the file. */
function namingFile<T extends object>(target: T, file: string): T {
  const guarded = Object.entries(target).map(([name, method]) => [
    name,
    async (...args: unknown[]) => {
      try {
        return await (method as (...args: unknown[]) => Promise<unknown>)(...args)
      } catch (err) {
        throw toStoreError(err, file)
      }
    },
  ])
  return Object.fromEntries(guarded) as T
}

const KEY_CHECK = 'key_check'

async function checkKey(db: Database, sealer: Sealer, file: string): Promise<void> {
  const row = db.query<{ value: Uint8Array }, []>(`SELECT value FROM meta WHERE name = '${KEY_CHECK}'`).get()
  if (row) return assertKeyCheck(sealer, row.value, file)
  const value = await sealKeyCheck(sealer)
  db.query('INSERT INTO meta (name, value) VALUES ($name, $value)').run({ name: KEY_CHECK, value })
}

/**
 * The store the service runs on: SQLite in DATA_DIR/botvisor.db, or memory only when DATA_DIR is ':memory:'.
 * Rejects with a StoreError (naming the file and what to do) when the key, the file or the directory is not
 * usable; the caller prints it and exits non-zero.
 */
export async function openStore(
  config: Pick<Config, 'DATA_DIR' | 'TOKEN_ENCRYPTION_KEY'>,
  options: StoreOptions,
): Promise<Store> {
  const now = options.now ?? Date.now
  if (config.DATA_DIR === ':memory:') return createMemoryStore(now, options.idempotency)
  const secret = await loadSecretKey({
    dataDir: config.DATA_DIR,
    envKey: config.TOKEN_ENCRYPTION_KEY,
    warn: options.warn,
  })
  const { db, file } = openDatabase(config.DATA_DIR, options.migrations)
  try {
    const sealer = createSealer(secret.key)
    await checkKey(db, sealer, file)
    const sessionRows = createSqliteSessionPersistence(db)
    const botRows = createSqliteBotPersistence(db, sealer, file)
    const sessions = createIndexedSessionStore({
      restored: sessionRows.restored,
      persistence: namingFile(sessionRows.persistence, file),
      now,
    })
    const bots = createBotRegistry({
      restored: botRows.restored,
      persistence: namingFile(botRows.persistence, file),
      now,
    })
    const flush = async () => {
      await sessions.flush()
      await bots.flush()
    }
    const timer = setInterval(() => {
      flush().catch((err: unknown) => options.onFlushError(toStoreError(err, file)))
    }, options.flushIntervalMs ?? 2_000)
    timer.unref() // batching must not keep a stopping process alive: close() writes what is left
    let closed = false
    return {
      backend: 'sqlite',
      file,
      sessions,
      bots,
      eventIds: namingFile(createSqliteEventIdStore(db), file),
      idempotency: namingFile(
        createSqliteIdempotencyStore(db, sealer, file, { ...(options.idempotency ?? DEFAULT_IDEMPOTENCY_LIMITS), now }),
        file,
      ),
      webhooks: namingFile(createSqliteWebhookStore(db, sealer, file), file),
      flush,
      async close() {
        if (closed) return
        closed = true
        clearInterval(timer)
        try {
          await flush()
        } finally {
          db.close()
        }
      },
    }
  } catch (err) {
    db.close()
    throw toStoreError(err, file)
  }
}
