import { Database } from 'bun:sqlite'
import { afterEach, describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { StoreError } from '../src/store/errors.ts'
import { latestVersion, MIGRATIONS, type Migration } from '../src/store/migrations.ts'
import { DATABASE_FILE } from '../src/store/sqlite.ts'
import { botToken, KEY_B, manualClock, openSqlite, sessionIdOf, testDataDirs } from './support/store-fixtures.ts'

const dirs = testDataDirs()
/** Undone before the directories go (the immutable flag of the read-only test). */
const undo: Array<() => void> = []
afterEach(() => {
  for (const step of undo.splice(0)) step()
  dirs.removeAll()
})
const dataDir = dirs.make

/** What the store rejects with, for assertions on its code and message. */
async function refusal(opening: Promise<unknown>): Promise<StoreError> {
  const err = await opening.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(err).toBeInstanceOf(StoreError)
  return err as StoreError
}

const gateway = { sessionId: 'gw-1', sequence: 7, resumeUrl: 'wss://resume.example', shardId: 0, shardCount: 1 }
const sessionOf = (n: number, botKey: string, at: number) => ({
  sessionId: sessionIdOf(n),
  botKey,
  workerId: 'w1',
  botId: '1000',
  createdAt: at,
})

const webhookOf = (botId: string, webhookId: string, secret: string) => ({
  webhookId,
  botId,
  url: 'https://receiver.example/hook',
  events: ['messageCreate' as const],
  secret,
  createdAt: 1,
  status: 'active' as const,
  disabledReason: null,
  disabledAt: null,
  failingSince: null,
})

/** Another connection to the same file: what a crash right now would leave on disk. */
function onDisk<T>(dir: string, sql: string): T[] {
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true })
  try {
    return db.query(sql).all() as T[]
  } finally {
    db.close()
  }
}

describe('the SQLite store on disk', () => {
  test('reopened, it has the same sessions (by their ids), bots with their tokens, gateway sessions and event ids', async () => {
    const dir = dataDir()
    const clock = manualClock()
    const token = botToken('1000', 'alpha')
    const first = await openSqlite(dir, { now: clock.now })
    const { botKey } = await first.bots.put({ token, botId: '1000', intents: 513, desiredState: 'running' })
    first.bots.saveGatewaySession(botKey, gateway)
    await first.sessions.create(sessionOf(1, botKey, clock.now()))
    clock.advance(1_000)
    first.sessions.peek(sessionIdOf(1))
    await first.eventIds.reserve('1000', 500)
    await first.close()

    const second = await openSqlite(dir, { now: clock.now })
    try {
      expect(second.sessions.peek(sessionIdOf(1))).toEqual(sessionOf(1, botKey, clock.now() - 1_000))
      expect((await second.sessions.list())[0]?.lastUsedAt).toBe(clock.now())
      expect(await second.bots.listRunning()).toEqual([
        {
          botKey,
          botId: '1000',
          intents: 513,
          desiredState: 'running',
          gatewaySession: gateway,
          updatedAt: clock.now() - 1_000,
          token,
        },
      ])
      expect(await second.eventIds.reserve('1000', 500)).toBe(501)
    } finally {
      await second.close()
    }
  })

  test('a session and a bot are on disk when create and put resolve; gateway sessions and last-used times wait for the batch', async () => {
    const dir = dataDir()
    const clock = manualClock()
    const store = await openSqlite(dir, { now: clock.now })
    try {
      const { botKey } = await store.bots.put({
        token: botToken('1000', 'a'),
        botId: '1000',
        intents: 1,
        desiredState: 'running',
      })
      await store.sessions.create(sessionOf(1, botKey, clock.now()))
      expect(onDisk(dir, 'SELECT bot_key FROM sessions')).toHaveLength(1)
      expect(onDisk(dir, 'SELECT bot_key FROM bots')).toHaveLength(1)

      store.bots.saveGatewaySession(botKey, gateway)
      clock.advance(5_000)
      store.sessions.peek(sessionIdOf(1))
      expect(onDisk(dir, 'SELECT gateway_sequence AS seq FROM bots')).toEqual([{ seq: null }])
      expect(onDisk(dir, 'SELECT last_used_at AS at FROM sessions')).toEqual([{ at: clock.now() - 5_000 }])
      await store.flush()
      expect(onDisk(dir, 'SELECT gateway_sequence AS seq FROM bots')).toEqual([{ seq: 7 }])
      expect(onDisk(dir, 'SELECT last_used_at AS at FROM sessions')).toEqual([{ at: clock.now() }])
    } finally {
      await store.close()
    }
  })

  test('the database file and its WAL hold no bot token and no session id, only their hashes', async () => {
    const dir = dataDir()
    const store = await openSqlite(dir)
    const tokens = [1, 2, 3].map((n) => botToken(`${n}000`, `secret-${n}`))
    const sessionIds = [1, 2, 3, 4, 5, 6].map(sessionIdOf)
    for (const [i, token] of tokens.entries()) {
      const { botKey } = await store.bots.put({ token, botId: `${i}000`, intents: 1, desiredState: 'running' })
      for (const sessionId of sessionIds.slice(i * 2, i * 2 + 2)) {
        await store.sessions.create({ sessionId, botKey, workerId: 'w', botId: `${i}000`, createdAt: 1 })
      }
    }
    const scan = () => {
      const files = [DATABASE_FILE, `${DATABASE_FILE}-wal`].map((name) => join(dir, name)).filter(existsSync)
      // latin1 keeps every byte as one character, as `strings` reads a file
      return files.map((file) => readFileSync(file).toString('latin1')).join('\n')
    }
    // a webhook's signing secret, and stored answers: the 201 that created it holds it, a message answer a user's text
    const signingSecret = 'whsec_signing-secret-that-must-not-leak'
    const messageText = 'a private message body that must not leak'
    await store.webhooks.create(webhookOf('1000', 'wh_scan', signingSecret), 20)
    await store.idempotency.begin('1000', 'key-1', 'fp')
    await store.idempotency.complete('1000', 'key-1', 'fp', {
      status: 201,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ webhookId: 'wh_scan', secret: signingSecret }),
    })
    await store.idempotency.begin('1000', 'key-2', 'fp')
    await store.idempotency.complete('1000', 'key-2', 'fp', {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: messageText }),
    })
    const whileOpen = scan()
    expect(whileOpen.length).toBeGreaterThan(0)
    await store.close()
    for (const bytes of [whileOpen, scan()]) {
      for (const secret of [...tokens, ...sessionIds, signingSecret, messageText]) expect(bytes).not.toContain(secret)
      for (const secret of tokens) expect(bytes).not.toContain(secret.split('.')[2] as string)
    }
    // the scan can fail: the labels (first 6 characters of each id), the webhook's id and URL are there
    for (const visible of [sessionIds[0]?.slice(0, 6) as string, 'wh_scan', 'receiver.example']) {
      expect(scan()).toContain(visible)
    }
  })

  test('reopened, the same webhooks come back with the same secrets and deliveries, and answers are replayed', async () => {
    const dir = dataDir()
    const clock = manualClock()
    const first = await openSqlite(dir, { now: clock.now })
    const hook = webhookOf('1000', 'wh_again', 'whsec_kept-across-restarts')
    await first.webhooks.create(hook, 20)
    await first.webhooks.update('1000', 'wh_again', { failingSince: 7 })
    const delivery = {
      eventId: 3,
      eventType: 'ready',
      attempt: 1,
      outcome: 'delivered' as const,
      statusCode: 204,
      durationMs: 3.2,
      error: null,
      at: 9,
    }
    await first.webhooks.recordDelivery('1000', 'wh_again', delivery)
    const answer = { status: 201, headers: { location: '/x' }, body: '{"ok":true}' }
    await first.idempotency.begin('1000', 'done-key', 'fp')
    await first.idempotency.complete('1000', 'done-key', 'fp', answer)
    await first.idempotency.begin('1000', 'running-key', 'fp') // the process dies with this request in flight
    await first.close()

    const again = await openSqlite(dir, { now: clock.now })
    try {
      expect(await again.webhooks.listAll()).toEqual([{ ...hook, failingSince: 7 }])
      expect(await again.webhooks.deliveries('1000', 'wh_again')).toEqual([delivery])
      expect(await again.idempotency.begin('1000', 'done-key', 'fp')).toEqual({
        state: 'done',
        fingerprint: 'fp',
        answer,
      })
      // no request of the dead process can complete it: its retry runs instead of waiting 30 minutes
      expect(await again.idempotency.begin('1000', 'running-key', 'fp')).toEqual({ state: 'claimed' })
    } finally {
      await again.close()
    }
  })

  test('a sealed secret or answer moved to another row does not open: the store says the row is corrupt', async () => {
    const dir = dataDir()
    const store = await openSqlite(dir)
    await store.webhooks.create(webhookOf('1000', 'wh_a', 'whsec_a'), 20)
    await store.webhooks.create(webhookOf('1000', 'wh_b', 'whsec_b'), 20)
    await store.close()
    const db = new Database(join(dir, DATABASE_FILE))
    db.run(
      "UPDATE webhooks SET secret = (SELECT secret FROM webhooks WHERE webhook_id = 'wh_a') WHERE webhook_id = 'wh_b'",
    )
    db.close()
    const reopened = await openSqlite(dir)
    try {
      expect((await reopened.webhooks.get('1000', 'wh_a'))?.secret).toBe('whsec_a')
      const err = await refusal(reopened.webhooks.get('1000', 'wh_b'))
      expect(err.code).toBe('corrupt')
      expect(err.message).not.toContain('whsec_a')
    } finally {
      await reopened.close()
    }
  })

  test('opened with another key, it refuses to start and says which key it needs', async () => {
    const dir = dataDir()
    const store = await openSqlite(dir)
    await store.bots.put({ token: botToken('1000', 'a'), botId: '1000', intents: 1, desiredState: 'running' })
    await store.close()
    const err = await refusal(openSqlite(dir, {}, KEY_B))
    expect(err.code).toBe('wrong_key')
    expect(err.message).toContain(join(dir, DATABASE_FILE))
    expect(err.message).toContain('created with another token encryption key')
    expect(err.message).toContain('TOKEN_ENCRYPTION_KEY')
  })

  test('a database written by a newer Botvisor is refused, naming the file and both versions', async () => {
    const dir = dataDir()
    const db = new Database(join(dir, DATABASE_FILE), { create: true })
    db.run(`PRAGMA user_version = ${latestVersion(MIGRATIONS) + 1}`)
    db.close()
    const err = await refusal(openSqlite(dir))
    expect(err.code).toBe('schema_too_new')
    expect(err.message).toContain(join(dir, DATABASE_FILE))
    expect(err.message).toContain(
      `schema version ${latestVersion(MIGRATIONS) + 1}, newer than this Botvisor knows (${latestVersion(MIGRATIONS)})`,
    )
  })

  test('an empty version-0 database is brought to the current schema', async () => {
    const dir = dataDir()
    const db = new Database(join(dir, DATABASE_FILE), { create: true })
    db.run('CREATE TABLE unrelated (x INTEGER)') // a file some earlier tool left: kept, not in the way
    db.close()
    const store = await openSqlite(dir)
    await store.sessions.create(sessionOf(1, 'bot', 1))
    await store.close()
    expect(onDisk<{ user_version: number }>(dir, 'PRAGMA user_version')).toEqual([
      { user_version: latestVersion(MIGRATIONS) },
    ])
  })

  test('a version-1 database with data migrates to a newer schema in one step, keeping its rows', async () => {
    const dir = dataDir()
    const v1 = await openSqlite(dir)
    const { botKey } = await v1.bots.put({
      token: botToken('1000', 'a'),
      botId: '1000',
      intents: 1,
      desiredState: 'running',
    })
    await v1.sessions.create(sessionOf(1, botKey, 1))
    await v1.close()
    const v2: Migration = {
      version: latestVersion(MIGRATIONS) + 1,
      name: 'a later step (test)',
      up: (db) => db.run('ALTER TABLE bots ADD COLUMN note TEXT'),
    }
    const migrated = await openSqlite(dir, { migrations: [...MIGRATIONS, v2] })
    try {
      expect(migrated.sessions.peek(sessionIdOf(1))?.botKey).toBe(botKey)
      expect((await migrated.bots.listRunning()).map((bot) => bot.botKey)).toEqual([botKey])
    } finally {
      await migrated.close()
    }
    expect(onDisk<{ user_version: number }>(dir, 'PRAGMA user_version')).toEqual([{ user_version: v2.version }])
    expect(onDisk(dir, 'SELECT note FROM bots')).toEqual([{ note: null }])
  })

  test('a migration that fails leaves the file at its old version, untouched', async () => {
    const dir = dataDir()
    await (await openSqlite(dir)).close()
    const broken: Migration = {
      version: latestVersion(MIGRATIONS) + 1,
      name: 'fails halfway (test)',
      up(db) {
        db.run('CREATE TABLE half (x INTEGER)')
        db.run('INSERT INTO no_such_table VALUES (1)')
      },
    }
    const err = await refusal(openSqlite(dir, { migrations: [...MIGRATIONS, broken] }))
    expect(err.message).toContain(join(dir, DATABASE_FILE))
    expect(onDisk<{ user_version: number }>(dir, 'PRAGMA user_version')).toEqual([
      { user_version: latestVersion(MIGRATIONS) },
    ])
    expect(onDisk(dir, "SELECT name FROM sqlite_master WHERE name = 'half'")).toEqual([])
  })

  test('a file that is not a SQLite database is refused with a clear error naming it', async () => {
    const dir = dataDir()
    writeFileSync(join(dir, DATABASE_FILE), 'this is not a database, just text that fills a page '.repeat(100))
    const err = await refusal(openSqlite(dir))
    expect(err.code).toBe('corrupt')
    expect(err.message).toContain(`${join(dir, DATABASE_FILE)} is not a usable SQLite database`)
  })

  test('a full disk fails the write with an error naming the file, and leaves no half-written session', async () => {
    const dir = dataDir()
    // SQLite's own page limit stands in for a full disk: the same SQLITE_FULL, without filling the machine's.
    const capped: Migration = {
      version: latestVersion(MIGRATIONS) + 1,
      name: 'cap the file (test)',
      up: (db) => {
        const { page_count } = db.query('PRAGMA page_count').get() as { page_count: number }
        db.run(`PRAGMA max_page_count = ${page_count + 1}`)
      },
    }
    const store = await openSqlite(dir, { migrations: [...MIGRATIONS, capped] })
    try {
      let failure: unknown
      let n = 0
      while (!failure && n < 10_000) {
        n += 1
        await store.sessions.create(sessionOf(n, `bot-${'k'.repeat(200)}-${n}`, n)).catch((err: unknown) => {
          failure = err
        })
      }
      expect(failure).toBeInstanceOf(StoreError)
      expect((failure as StoreError).code).toBe('disk_full')
      expect((failure as StoreError).message).toContain(`${join(dir, DATABASE_FILE)}: the disk is full`)
      expect(store.sessions.peek(sessionIdOf(n))).toBeUndefined()
      expect(await store.sessions.countForBot(`bot-${'k'.repeat(200)}-${n}`)).toBe(0)
      expect(await store.sessions.countForBot(`bot-${'k'.repeat(200)}-${n - 1}`)).toBe(1)
    } finally {
      await store.close()
    }
  })
})

/** A directory no one may write, root included: the mode for others, the immutable flag when running as root. */
function makeReadOnly(dir: string): boolean {
  chmodSync(dir, 0o555)
  const writable = () => {
    try {
      writeFileSync(join(dir, '.probe'), '')
      return true
    } catch {
      return false
    }
  }
  if (!writable()) return true
  Bun.spawnSync(['rm', '-f', join(dir, '.probe')])
  const flagged = Bun.spawnSync(['chattr', '+i', dir]).exitCode === 0
  undo.push(() => void Bun.spawnSync(['chattr', '-i', dir]))
  return flagged && !writable()
}

test('a read-only data directory is refused with an error naming the path', async () => {
  const dir = dataDir()
  if (!makeReadOnly(dir)) {
    console.warn('skipped: this file system lets this user write any directory')
    return
  }
  const err = await refusal(openSqlite(dir))
  expect(err.code).toBe('unwritable')
  expect(err.message).toContain(dir)
  expect(err.message).toContain('DATA_DIR must be')
})
