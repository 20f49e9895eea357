import { Database } from 'bun:sqlite'
import { afterEach, describe, expect, test } from 'bun:test'
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../src/config.ts'
import { createSealer, importTokenKey } from '../src/store/crypto.ts'
import { StoreError } from '../src/store/errors.ts'
import { openStore } from '../src/store/open.ts'
import { decodeKeyText, loadSecretKey, SECRET_KEY_FILE } from '../src/store/secret-key.ts'
import { DATABASE_FILE } from '../src/store/sqlite.ts'
import { botToken, KEY_A, openSqlite, testDataDirs, testOptions } from './support/store-fixtures.ts'

const dirs = testDataDirs()
afterEach(dirs.removeAll)
const dataDir = dirs.make
const openWithKeyFile = (dir: string, options = testOptions()) =>
  openStore({ DATA_DIR: dir, TOKEN_ENCRYPTION_KEY: undefined }, options)

describe('TOKEN_ENCRYPTION_KEY', () => {
  test('anything but 32 bytes of base64 stops start-up naming the variable, never echoing the value', () => {
    for (const bad of [
      'short',
      Buffer.alloc(31).toString('base64'),
      Buffer.alloc(33).toString('base64'),
      `${KEY_A.slice(0, -2)}!=`,
    ]) {
      let message = ''
      try {
        loadConfig({ TOKEN_ENCRYPTION_KEY: bad })
      } catch (err) {
        message = (err as Error).message
      }
      expect(message).toContain('TOKEN_ENCRYPTION_KEY: must be 32 bytes in base64')
      expect(message).not.toContain(bad)
    }
    expect(loadConfig({ TOKEN_ENCRYPTION_KEY: KEY_A }).TOKEN_ENCRYPTION_KEY).toBe(KEY_A)
    expect(loadConfig({ TOKEN_ENCRYPTION_KEY: '' }).TOKEN_ENCRYPTION_KEY).toBeUndefined()
  })

  test('base64url and unpadded keys are the same key', () => {
    const bytes = Buffer.alloc(32, 0xfb)
    const standard = decodeKeyText(bytes.toString('base64'))
    expect(standard).toEqual(new Uint8Array(bytes))
    expect(decodeKeyText(bytes.toString('base64url'))).toEqual(standard)
  })

  test('a bad key handed to the store directly is a StoreError too, and no key file is written', async () => {
    const dir = dataDir()
    const err = await loadSecretKey({ dataDir: dir, envKey: 'nope', warn: () => {} }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect((err as StoreError).code).toBe('bad_key')
    expect(() => statSync(join(dir, SECRET_KEY_FILE))).toThrow()
  })
})

describe('SESSION_IDLE_TTL', () => {
  test('takes a number with a unit, 0 for never, and defaults to 7 days', () => {
    expect(loadConfig({}).SESSION_IDLE_TTL).toBe(7 * 86_400_000)
    expect(loadConfig({ SESSION_IDLE_TTL: '12h' }).SESSION_IDLE_TTL).toBe(12 * 3_600_000)
    expect(loadConfig({ SESSION_IDLE_TTL: '90s' }).SESSION_IDLE_TTL).toBe(90_000)
    expect(loadConfig({ SESSION_IDLE_TTL: '0' }).SESSION_IDLE_TTL).toBe(0)
    for (const bad of ['7', '7 days', '-1d', 'forever', '100000d']) {
      expect(() => loadConfig({ SESSION_IDLE_TTL: bad })).toThrow(/SESSION_IDLE_TTL/)
    }
  })
})

describe('DATA_DIR/secret.key', () => {
  test('is generated on first start, mode 600, with a warning to keep it apart from backups; later starts reuse it', async () => {
    const dir = dataDir()
    const options = testOptions()
    const token = botToken('1000', 'a')
    const first = await openWithKeyFile(dir, options)
    await first.bots.put({ token, botId: '1000', intents: 1, desiredState: 'running' })
    await first.close()
    const file = join(dir, SECRET_KEY_FILE)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(decodeKeyText(readFileSync(file, 'utf8'))).toBeDefined()
    expect(options.warnings).toHaveLength(1)
    expect(options.warnings[0]).toContain(file)
    expect(options.warnings[0]).toContain('apart from backups')

    const again = testOptions()
    const second = await openWithKeyFile(dir, again)
    try {
      expect((await second.bots.listRunning()).map((bot) => bot.token)).toEqual([token])
      expect(again.warnings).toEqual([]) // said once, when it was made
    } finally {
      await second.close()
    }
  })

  test('a key file others may read is refused with the chmod that fixes it', async () => {
    const dir = dataDir()
    await (await openWithKeyFile(dir)).close()
    const file = join(dir, SECRET_KEY_FILE)
    chmodSync(file, 0o644)
    const err = (await openWithKeyFile(dir).catch((e: unknown) => e)) as StoreError
    expect(err.code).toBe('key_file_exposed')
    expect(err.message).toContain(`run chmod 600 ${file}`)
  })

  test('a key file with the wrong content is refused, never replaced', async () => {
    const dir = dataDir()
    const file = join(dir, SECRET_KEY_FILE)
    writeFileSync(file, 'too short\n', { mode: 0o600 })
    const err = (await openWithKeyFile(dir).catch((e: unknown) => e)) as StoreError
    expect(err.code).toBe('bad_key')
    expect(err.message).toContain(file)
    expect(readFileSync(file, 'utf8')).toBe('too short\n')
  })

  test('a database made with the key file refuses to open once the key file is lost and a new one is made', async () => {
    const dir = dataDir()
    await (await openWithKeyFile(dir)).close()
    Bun.spawnSync(['rm', join(dir, SECRET_KEY_FILE)])
    const err = (await openWithKeyFile(dir).catch((e: unknown) => e)) as StoreError
    expect(err.code).toBe('wrong_key')
  })
})

describe('sealed tokens', () => {
  test('open only with the same key and the same row; each seal has its own IV', async () => {
    const sealer = createSealer(await importTokenKey(decodeKeyText(KEY_A) as Uint8Array<ArrayBuffer>))
    const sealed = await sealer.seal('the token', 'bots:a')
    expect(sealed[0]).toBe(1) // format version
    expect(await sealer.open(sealed, 'bots:a')).toBe('the token')
    expect(await sealer.open(sealed, 'bots:b')).toBeUndefined()
    expect(Buffer.from(await sealer.seal('the token', 'bots:a')).equals(Buffer.from(sealed))).toBe(false)
    const altered = new Uint8Array(sealed)
    altered[altered.length - 1] = (altered[altered.length - 1] ?? 0) ^ 1
    expect(await sealer.open(altered, 'bots:a')).toBeUndefined()
  })

  test("a token row copied over another bot's row does not start that bot: the store says the row is corrupt", async () => {
    const dir = dataDir()
    const store = await openSqlite(dir)
    const a = await store.bots.put({ token: botToken('1000', 'a'), botId: '1000', intents: 1, desiredState: 'running' })
    const b = await store.bots.put({ token: botToken('2000', 'b'), botId: '2000', intents: 1, desiredState: 'running' })
    await store.close()
    const db = new Database(join(dir, DATABASE_FILE))
    db.query('UPDATE bots SET token = (SELECT token FROM bots WHERE bot_key = $a) WHERE bot_key = $b').run({
      $a: a.botKey,
      $b: b.botKey,
    })
    db.close()
    const reopened = await openSqlite(dir)
    try {
      const err = (await reopened.bots.listRunning().catch((e: unknown) => e)) as StoreError
      expect(err.code).toBe('corrupt')
      expect(err.message).toContain('does not decrypt')
    } finally {
      await reopened.close()
    }
  })
})
