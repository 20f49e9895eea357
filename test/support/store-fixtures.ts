import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore, type StoreOptions } from '../../src/store/open.ts'
import type { Store } from '../../src/store/types.ts'

/** Two valid TOKEN_ENCRYPTION_KEY values (32 bytes, base64). */
export const KEY_A = Buffer.alloc(32, 0xa1).toString('base64')
export const KEY_B = Buffer.alloc(32, 0xb2).toString('base64')

/** A token shaped like Discord's: base64 of the bot's id, a timestamp part, and an HMAC part. */
export function botToken(botId: string, secret: string): string {
  return `${Buffer.from(botId).toString('base64url')}.GxYz12.${secret.padEnd(38, 'q')}`
}

export const SESSION_ID_LENGTH = 32
export const sessionIdOf = (n: number): string => `sess${String(n).padStart(4, '0')}`.padEnd(SESSION_ID_LENGTH, 'x')

/** Time as an input: tests move it, the store reads it. */
export function manualClock(start = 1_800_000_000_000) {
  let now = start
  return { now: () => now, advance: (ms: number) => void (now += ms) }
}

/** A data directory of its own under the system temp dir; remove() deletes it whatever is inside. */
export function tempDataDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'botvisor-store-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** The data directories a test file makes: `afterEach(dirs.removeAll)`. */
export function testDataDirs() {
  const made: Array<() => void> = []
  return {
    make(): string {
      const data = tempDataDir()
      made.push(data.remove)
      return data.dir
    },
    removeAll(): void {
      for (const remove of made.splice(0)) remove()
    },
  }
}

/** Flush errors fail the test loudly; warnings are collected for the tests that read them. */
export function testOptions(overrides: Partial<StoreOptions> = {}): StoreOptions & { warnings: string[] } {
  const warnings: string[] = []
  return {
    warnings,
    warn: (message) => warnings.push(message),
    onFlushError: (err) => {
      throw err
    },
    flushIntervalMs: 3_600_000, // tests flush explicitly
    ...overrides,
  }
}

export const openSqlite = (dir: string, overrides: Partial<StoreOptions> = {}, key = KEY_A): Promise<Store> =>
  openStore({ DATA_DIR: dir, TOKEN_ENCRYPTION_KEY: key }, testOptions(overrides))
