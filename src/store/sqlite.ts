import { Database } from 'bun:sqlite'
import { join, resolve } from 'node:path'
import { ensurePrivateDir } from '../private-file.ts'
import { toStoreError } from './errors.ts'
import { MIGRATIONS, type Migration, migrate } from './migrations.ts'

export const DATABASE_FILE = 'botvisor.db'

export type OpenedDatabase = { db: Database; file: string }

/**
 * Opens (creating if missing) DATA_DIR/botvisor.db, ':memory:' for a database that lives and dies with the
 * process, and brings its schema up to date. Every failure is a StoreError naming the file.
 *
 * synchronous=FULL, not NORMAL: in WAL mode NORMAL skips the fsync at commit, so a power loss may drop the last
 * transactions even though the process had already answered (SQLite's "pragma synchronous" documentation; a
 * crash of the process alone loses nothing either way). A login answers 200 only after its session and bot rows
 * are durable, so commits sync; the frequent writes (last-used times, gateway sessions) are batched into one
 * transaction every few seconds to keep the fsyncs few.
 */
export function openDatabase(dataDir: string, migrations: readonly Migration[] = MIGRATIONS): OpenedDatabase {
  const inMemory = dataDir === ':memory:'
  const file = inMemory ? ':memory:' : resolve(join(dataDir, DATABASE_FILE))
  let db: Database | undefined
  try {
    if (!inMemory) ensurePrivateDir(dataDir)
    db = new Database(file, { create: true, readwrite: true, strict: true })
    db.run('PRAGMA busy_timeout = 5000') // another connection's write lock: wait, do not fail at once
    db.run('PRAGMA journal_mode = WAL') // the first statement to read the header: a corrupt file fails here
    db.run('PRAGMA synchronous = FULL')
    db.run('PRAGMA foreign_keys = ON')
    migrate(db, file, migrations)
    return { db, file }
  } catch (err) {
    db?.close()
    throw toStoreError(err, file)
  }
}
