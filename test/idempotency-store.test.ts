import { describe, expect, test } from 'bun:test'
import { createSealer, importTokenKey } from '../src/store/crypto.ts'
import { createMemoryIdempotencyStore, IN_FLIGHT_LEASE_MS } from '../src/store/idempotency-memory.ts'
import type { IdempotencyStore, StoredAnswer } from '../src/store/idempotency.ts'
import { createSqliteIdempotencyStore } from '../src/store/sqlite-idempotency.ts'
import { openDatabase } from '../src/store/sqlite.ts'
import { KEY_A } from './support/store-fixtures.ts'

const DAY_MS = 86_400_000
const answer = (body: string, status = 201): StoredAnswer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body,
})

type Limits = { ttlMs: number; maxKeys: number; now: () => number }
type Backend = { name: string; open: (limits: Limits) => Promise<IdempotencyStore & { size(): number }> }

/** One table of tests, two backends: the SQLite one on a database of its own (the real schema, in memory). */
const BACKENDS: Backend[] = [
  { name: 'in-memory', open: async (limits) => createMemoryIdempotencyStore(limits) },
  {
    name: 'SQLite',
    async open(limits) {
      const { db } = openDatabase(':memory:')
      const sealer = createSealer(await importTokenKey(Buffer.from(KEY_A, 'base64')))
      const store = createSqliteIdempotencyStore(db, sealer, ':memory:', limits)
      const answers = db.query<{ n: number }, []>("SELECT count(*) AS n FROM idempotency_keys WHERE state = 'done'")
      return { ...store, size: () => answers.get()?.n ?? 0 }
    },
  },
]

describe.each(BACKENDS)('the $name idempotency store', ({ open }) => {
  /** A store on a clock the test moves by hand. */
  async function storeAt(options: { maxKeys?: number; ttlMs?: number } = {}) {
    let nowMs = 1_000_000
    const store = await open({
      ttlMs: options.ttlMs ?? DAY_MS,
      maxKeys: options.maxKeys ?? 1000,
      now: () => nowMs,
    })
    return { store, advance: (ms: number) => void (nowMs += ms) }
  }

  test('a free key is claimed once: the second caller sees it in flight, with the first fingerprint', async () => {
    const { store } = await storeAt()
    expect(await store.begin('1', 'k', 'fp-a')).toEqual({ state: 'claimed' })
    expect(await store.begin('1', 'k', 'fp-b')).toEqual({ state: 'in_flight', fingerprint: 'fp-a' })
    expect(await store.get('1', 'k')).toEqual({ state: 'in_flight', fingerprint: 'fp-a' })
  })

  test('a completed key holds its answer; a released one is free again and keeps nothing', async () => {
    const { store } = await storeAt()
    await store.begin('1', 'done', 'fp')
    await store.complete('1', 'done', 'fp', answer('{"id":"1"}'))
    expect(await store.begin('1', 'done', 'fp')).toEqual({
      state: 'done',
      fingerprint: 'fp',
      answer: answer('{"id":"1"}'),
    })
    await store.begin('1', 'freed', 'fp')
    await store.release('1', 'freed')
    expect(await store.get('1', 'freed')).toBeUndefined()
    expect(await store.begin('1', 'freed', 'other')).toEqual({ state: 'claimed' })
    expect(store.size()).toBe(1)
  })

  test('keys are per bot: the same key of two bots never meets', async () => {
    const { store } = await storeAt()
    await store.begin('1', 'k', 'fp-1')
    await store.complete('1', 'k', 'fp-1', answer('one'))
    expect(await store.begin('2', 'k', 'fp-2')).toEqual({ state: 'claimed' })
    expect((await store.get('1', 'k'))?.fingerprint).toBe('fp-1')
  })

  test('an answer lives exactly ttlMs on the injected clock, then the key is free', async () => {
    const { store, advance } = await storeAt({ ttlMs: DAY_MS })
    await store.begin('1', 'k', 'fp')
    await store.complete('1', 'k', 'fp', answer('first'))
    advance(DAY_MS - 1)
    expect((await store.get('1', 'k'))?.state).toBe('done')
    advance(1)
    expect(await store.get('1', 'k')).toBeUndefined()
    expect(await store.begin('1', 'k', 'another body')).toEqual({ state: 'claimed' })
  })

  test('expired answers are swept by the next begin, with no timer: the store shrinks by itself', async () => {
    const { store, advance } = await storeAt({ ttlMs: 1000 })
    for (let i = 0; i < 50; i++) {
      await store.begin('1', `old-${i}`, 'fp')
      await store.complete('1', `old-${i}`, 'fp', answer(String(i)))
    }
    advance(500)
    await store.begin('1', 'young', 'fp')
    await store.complete('1', 'young', 'fp', answer('young'))
    expect(store.size()).toBe(51)
    advance(500) // the 50 old ones are due, the young one is not
    await store.begin('2', 'unrelated', 'fp')
    expect(store.size()).toBe(1)
    expect((await store.get('1', 'young'))?.state).toBe('done')
  })

  test('past maxKeys (all bots together) the oldest answers go first', async () => {
    const { store } = await storeAt({ maxKeys: 3 })
    for (const [bot, key] of [
      ['1', 'a'],
      ['2', 'b'],
      ['1', 'c'],
      ['2', 'd'],
    ] as const) {
      await store.begin(bot, key, 'fp')
      await store.complete(bot, key, 'fp', answer(key))
    }
    expect(store.size()).toBe(3)
    expect(await store.get('1', 'a')).toBeUndefined()
    for (const [bot, key] of [
      ['2', 'b'],
      ['1', 'c'],
      ['2', 'd'],
    ] as const)
      expect((await store.get(bot, key))?.state).toBe('done')
  })

  test('a request in flight is never evicted by the key limit, so its retry still waits instead of running again', async () => {
    const { store } = await storeAt({ maxKeys: 2 })
    await store.begin('1', 'running', 'fp')
    for (const key of ['x', 'y', 'z']) {
      await store.begin('1', key, 'fp')
      await store.complete('1', key, 'fp', answer(key))
    }
    expect(await store.begin('1', 'running', 'fp')).toEqual({ state: 'in_flight', fingerprint: 'fp' })
    expect(store.size()).toBe(2)
  })

  test('an in-flight mark nobody completes frees its key after the lease (a process that died mid-request)', async () => {
    const { store, advance } = await storeAt()
    await store.begin('1', 'k', 'fp')
    advance(IN_FLIGHT_LEASE_MS - 1)
    expect((await store.begin('1', 'k', 'fp'))?.state).toBe('in_flight')
    advance(1)
    expect(await store.begin('1', 'k', 'fp')).toEqual({ state: 'claimed' })
  })

  test('an answer completed again is kept from its latest completion (the order stays the expiry order)', async () => {
    const { store, advance } = await storeAt({ ttlMs: 1000 })
    await store.complete('1', 'first', 'fp', answer('1'))
    advance(600)
    await store.complete('1', 'second', 'fp', answer('2'))
    await store.complete('1', 'first', 'fp', answer('1 again'))
    advance(600) // "second" is due at 1600, "first" (completed again at 600) at 1600 too, not at 1000
    expect((await store.get('1', 'first'))?.state).toBe('done')
    advance(400)
    await store.begin('1', 'sweep', 'fp')
    expect(store.size()).toBe(0)
  })
})
