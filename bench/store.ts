/**
 * The store's own costs, in one run so the ratios hold: `bun bench/store.ts [logins]`.
 * - logins/s equivalent: what a login adds to the store (bot put with its token sealed + session create, each
 *   durable before it resolves), SQLite (synchronous=FULL, one fsync per commit) vs memory;
 * - the cached-read short path (`peek`): memory vs SQLite's in-memory front (no I/O: the ratio should be ~1);
 * - one batched flush of last-used times for every session;
 * - why FULL and not NORMAL: raw single-row commits in WAL mode with each setting.
 */
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryStore } from '../src/store/memory.ts'
import { openStore } from '../src/store/open.ts'
import type { Store } from '../src/store/types.ts'

const LOGINS = Number(process.argv[2] ?? 2_000)
const PEEKS = 1_000_000
const KEY = Buffer.alloc(32, 0x5a).toString('base64')
const token = (n: number) =>
  `${Buffer.from(String(1e17 + n)).toString('base64url')}.GbEnCh.${String(n).padEnd(38, 'x')}`
const sessionId = (n: number) => `bench-session-${n}`.padEnd(32, 'y')

async function logins(store: Store): Promise<number> {
  const began = performance.now()
  for (let n = 0; n < LOGINS; n++) {
    const bot = await store.bots.put({
      token: token(n),
      botId: String(1e17 + n),
      intents: 513,
      desiredState: 'running',
    })
    await store.sessions.create({
      sessionId: sessionId(n),
      botKey: bot.botKey,
      workerId: `w${n}`,
      botId: bot.botId,
      createdAt: Date.now(),
    })
  }
  return LOGINS / ((performance.now() - began) / 1_000)
}

function peeks(store: Store): number {
  const ids = Array.from({ length: 1_000 }, (_, n) => sessionId(n % LOGINS))
  let found = 0
  const began = performance.now()
  for (let i = 0; i < PEEKS; i++) if (store.sessions.peek(ids[i % ids.length] ?? '')) found++
  if (found !== PEEKS) throw new Error(`peek missed ${PEEKS - found} sessions`)
  return PEEKS / ((performance.now() - began) / 1_000)
}

function rawCommitsPerSecond(dir: string, synchronous: 'FULL' | 'NORMAL'): number {
  const db = new Database(join(dir, `raw-${synchronous}.db`), { create: true })
  db.run('PRAGMA journal_mode = WAL')
  db.run(`PRAGMA synchronous = ${synchronous}`)
  db.run('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)')
  const insert = db.query('INSERT INTO t VALUES (?, ?)')
  const began = performance.now()
  for (let n = 0; n < LOGINS; n++) insert.run(`k${n}`, n)
  const rate = LOGINS / ((performance.now() - began) / 1_000)
  db.close()
  return rate
}

const dir = mkdtempSync(join(tmpdir(), 'botvisor-bench-store-'))
try {
  const memory = createMemoryStore()
  const sqlite = await openStore(
    { DATA_DIR: dir, TOKEN_ENCRYPTION_KEY: KEY },
    { warn: () => {}, onFlushError: (err) => console.error(err.message), flushIntervalMs: 3_600_000 },
  )
  const rows: Array<[string, number, number]> = []
  rows.push(['logins/s (bot put + session create)', await logins(memory), await logins(sqlite)])
  rows.push(['peek/s (cached-read short path)', peeks(memory), peeks(sqlite)])
  const flushBegan = performance.now()
  await sqlite.flush()
  const flushMs = performance.now() - flushBegan
  await sqlite.close()
  const full = rawCommitsPerSecond(dir, 'FULL')
  const normal = rawCommitsPerSecond(dir, 'NORMAL')

  const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
  console.log(`store bench · ${LOGINS} logins · Bun ${Bun.version} · ${process.platform}`)
  console.log('| measure | memory | SQLite | SQLite / memory |\n|---|---|---|---|')
  for (const [what, mem, sql] of rows)
    console.log(`| ${what} | ${fmt(mem)} | ${fmt(sql)} | ${(sql / mem).toFixed(2)} |`)
  console.log(
    `| flush of ${Math.min(1_000, LOGINS)} sessions' last-used times (one transaction) | – | ${flushMs.toFixed(1)} ms | – |`,
  )
  console.log(`| raw single-row commits/s, WAL, synchronous=FULL vs NORMAL | – | ${fmt(full)} vs ${fmt(normal)} | – |`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
