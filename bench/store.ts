/**
 * The store's own costs, in one run so the ratios hold: `bun bench/store.ts [logins] [--quick]`, and a phase of
 * `bun run bench`.
 * - logins/s equivalent: what a login adds to the store (bot put with its token sealed + session create, each
 *   durable before it resolves), SQLite (synchronous=FULL, one fsync per commit) vs memory;
 * - the cached-read short path (`peek`): memory vs SQLite's in-memory front (no I/O: the ratio should be ~1);
 * - one batched flush of last-used times for every session;
 * - why FULL and not NORMAL: raw single-row commits in WAL mode with each setting;
 * - through HTTP: the cached-read short path of a service on SQLite vs one on `DATA_DIR=:memory:` (src/main.ts
 *   each, its own process), the same load on each, alternated so the box's load swings hit both alike.
 */
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryStore } from '../src/store/memory.ts'
import { openStore } from '../src/store/open.ts'
import type { Store } from '../src/store/types.ts'
import type { FakeInfo } from './fake-process.ts'
import { loginAll } from './logins.ts'
import { createProcessGroup, type ProcessGroup } from './procs.ts'
import { writePhaseResults } from './phase-files.ts'
import { startMain } from './restart.ts'
import { measure, type BenchContext } from './scenarios.ts'

const PEEKS = 1_000_000
const KEY = Buffer.alloc(32, 0x5a).toString('base64')
const token = (n: number) =>
  `${Buffer.from(String(1e17 + n)).toString('base64url')}.GbEnCh.${String(n).padEnd(38, 'x')}`
const sessionId = (n: number) => `bench-session-${n}`.padEnd(32, 'y')

async function logins(store: Store, count: number): Promise<number> {
  const began = performance.now()
  for (let n = 0; n < count; n++) {
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
  return count / ((performance.now() - began) / 1_000)
}

function peeks(store: Store, count: number): number {
  const ids = Array.from({ length: 1_000 }, (_, n) => sessionId(n % count))
  let found = 0
  const began = performance.now()
  for (let i = 0; i < PEEKS; i++) if (store.sessions.peek(ids[i % ids.length] ?? '')) found++
  if (found !== PEEKS) throw new Error(`peek missed ${PEEKS - found} sessions`)
  return PEEKS / ((performance.now() - began) / 1_000)
}

function rawCommitsPerSecond(dir: string, synchronous: 'FULL' | 'NORMAL', count: number): number {
  const db = new Database(join(dir, `raw-${synchronous}.db`), { create: true })
  db.run('PRAGMA journal_mode = WAL')
  db.run(`PRAGMA synchronous = ${synchronous}`)
  db.run('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)')
  const insert = db.query('INSERT INTO t VALUES (?, ?)')
  const began = performance.now()
  for (let n = 0; n < count; n++) insert.run(`k${n}`, n)
  const rate = count / ((performance.now() - began) / 1_000)
  db.close()
  return rate
}

export type StoreWrites = {
  logins: number
  loginsPerSecond: { memory: number; sqlite: number }
  peeksPerSecond: { memory: number; sqlite: number }
  flushMs: number
  rawCommitsPerSecond: { full: number; normal: number }
}

/** The store alone, in this process: what a login writes, the short path's lookup, a flush, raw commits. */
export async function measureStoreWrites(count: number): Promise<StoreWrites> {
  const dir = mkdtempSync(join(tmpdir(), 'botvisor-bench-store-'))
  try {
    const memory = createMemoryStore()
    const sqlite = await openStore(
      { DATA_DIR: dir, TOKEN_ENCRYPTION_KEY: KEY },
      { warn: () => {}, onFlushError: (err) => console.error(err.message), flushIntervalMs: 3_600_000 },
    )
    const loginsPerSecond = { memory: await logins(memory, count), sqlite: await logins(sqlite, count) }
    const peeksPerSecond = { memory: peeks(memory, count), sqlite: peeks(sqlite, count) }
    const flushBegan = performance.now()
    await sqlite.flush()
    const flushMs = performance.now() - flushBegan
    await sqlite.close()
    const raw = {
      full: rawCommitsPerSecond(dir, 'FULL', count),
      normal: rawCommitsPerSecond(dir, 'NORMAL', count),
    }
    return { logins: count, loginsPerSecond, peeksPerSecond, flushMs, rawCommitsPerSecond: raw }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export type CachedReadsByStore = {
  bots: number
  /** req/s of GET /api/channels (the short path) per round, each store in turn. */
  memoryRps: number[]
  sqliteRps: number[]
  /** SQLite / memory of each round (its two runs back to back): the goal is ≥ 0.95. */
  roundRatios: number[]
  /** The median of roundRatios: pairs taken close in time cancel most of a shared box's load swings. */
  ratio: number
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/**
 * Two services from src/main.ts, one on a SQLite DATA_DIR and one on `:memory:`, each with its own bots logged
 * in, under the same load of cached reads (the short path: no RPC, no Discord), in alternating rounds.
 */
export async function measureCachedReadsByStore(
  group: ProcessGroup,
  say: (line: string) => void,
  plan: { bots: number; rounds: number; durationS: number; warmupS: number; connections: number },
): Promise<CachedReadsByStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'botvisor-bench-store-reads-'))
  const fake = await group.start<FakeInfo>('fake-process.ts', [String(2 * plan.bots)], { timeoutMs: 60_000 })
  try {
    const env = { DISCORD_API_URL: fake.info.apiUrl }
    const services = {
      memory: await startMain(group, { ...env, DATA_DIR: ':memory:' }),
      sqlite: await startMain(group, { ...env, DATA_DIR: dataDir }),
    }
    const ctx: BenchContext = { group, fakeUrl: fake.info.url, ...plan, sendDurationS: plan.durationS } // reads only
    const logged = {
      memory: fake.info.bots.slice(0, plan.bots),
      sqlite: fake.info.bots.slice(plan.bots, 2 * plan.bots),
    }
    const sessions = {
      memory: (
        await loginAll(
          services.memory.url,
          logged.memory.map((bot) => bot.token),
          4,
        )
      ).sessions,
      sqlite: (
        await loginAll(
          services.sqlite.url,
          logged.sqlite.map((bot) => bot.token),
          4,
        )
      ).sessions,
    }
    const rps = { memory: [] as number[], sqlite: [] as number[] }
    for (let round = 0; round < plan.rounds; round++) {
      // who goes first alternates: a load swing of the shared box lands on both stores alike
      const order = round % 2 === 0 ? (['memory', 'sqlite'] as const) : (['sqlite', 'memory'] as const)
      for (const store of order) {
        const run = await measure(
          ctx,
          services[store].url,
          'channels',
          logged[store].map((bot, i) => ({ bot, session: sessions[store][i] ?? '' })),
        )
        if (run.non2xx + run.errors > 0) throw new Error(`${store}: ${run.non2xx + run.errors} reads failed`)
        rps[store].push(run.rps)
      }
    }
    const result = {
      bots: plan.bots,
      memoryRps: rps.memory.map(Math.round),
      sqliteRps: rps.sqlite.map(Math.round),
      roundRatios: rps.sqlite.map((sqlite, round) => Number((sqlite / (rps.memory[round] ?? Number.NaN)).toFixed(3))),
      ratio: 0,
    }
    result.ratio = median(result.roundRatios)
    say(
      `  cached reads (GET /api/channels, short path): memory ${result.memoryRps.join(', ')} req/s; SQLite ${result.sqliteRps.join(', ')} req/s; SQLite / memory per round ${result.roundRatios.map((r) => r.toFixed(2)).join(', ')}, median ${result.ratio.toFixed(2)}`,
    )
    for (const service of Object.values(services)) {
      service.child.kill('SIGTERM')
      await service.child.exited
    }
    return result
  } finally {
    await fake.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export function printStoreWrites(w: StoreWrites, say: (line: string) => void) {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
  const ratio = (sql: number, mem: number) => (sql / mem).toFixed(2)
  say(`  store alone, ${w.logins} logins · Bun ${Bun.version} · ${process.platform}`)
  say('  | measure | memory | SQLite | SQLite / memory |\n  |---|---|---|---|')
  say(
    `  | logins/s (bot put + session create) | ${fmt(w.loginsPerSecond.memory)} | ${fmt(w.loginsPerSecond.sqlite)} | ${ratio(w.loginsPerSecond.sqlite, w.loginsPerSecond.memory)} |`,
  )
  say(
    `  | peek/s (cached-read short path) | ${fmt(w.peeksPerSecond.memory)} | ${fmt(w.peeksPerSecond.sqlite)} | ${ratio(w.peeksPerSecond.sqlite, w.peeksPerSecond.memory)} |`,
  )
  say(
    `  | flush of ${Math.min(1_000, w.logins)} sessions' last-used times (one transaction) | – | ${w.flushMs.toFixed(1)} ms | – |`,
  )
  say(
    `  | raw single-row commits/s, WAL, synchronous=FULL vs NORMAL | – | ${fmt(w.rawCommitsPerSecond.full)} vs ${fmt(w.rawCommitsPerSecond.normal)} | – |`,
  )
}

/** The store phase of `bun run bench`: the store alone, then the short path through HTTP on each store. */
export async function runStoreBench(group: ProcessGroup, say: (line: string) => void, quick: boolean) {
  const writes = await measureStoreWrites(quick ? 500 : 2_000)
  printStoreWrites(writes, say)
  const reads = await measureCachedReadsByStore(
    group,
    say,
    quick
      ? { bots: 2, rounds: 3, durationS: 2, warmupS: 1, connections: 50 }
      : { bots: 10, rounds: 5, durationS: 3, warmupS: 1, connections: 50 },
  )
  return { writes, reads }
}

export function writeStoreResults(results: Awaited<ReturnType<typeof runStoreBench>>, quick = false) {
  writePhaseResults('store', results, quick)
}

if (import.meta.main) {
  const say = (line: string) => process.stderr.write(`${line}\n`)
  const quick = process.argv.includes('--quick')
  const logins = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? (quick ? 500 : 2_000))
  if (process.argv.includes('--alone')) printStoreWrites(await measureStoreWrites(logins), say)
  else {
    const group = createProcessGroup()
    try {
      writeStoreResults(await runStoreBench(group, say, quick), quick)
    } finally {
      await group.stopAll()
    }
  }
}
