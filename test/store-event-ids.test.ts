import { afterEach, expect, test } from 'bun:test'
import { createEventIdBlocks } from '../src/store/event-id-blocks.ts'
import { createMemoryEventIdStore } from '../src/store/event-ids.ts'
import type { EventIdStore } from '../src/store/types.ts'
import { openSqlite, testDataDirs } from './support/store-fixtures.ts'

const dirs = testDataDirs()
afterEach(dirs.removeAll)

/** Counts the store's reservations: the I/O events cost. */
function counted(store: EventIdStore) {
  const calls = { reserve: 0 }
  const wrapped: EventIdStore = {
    reserve: (botId, count) => {
      calls.reserve += 1
      return store.reserve(botId, count)
    },
    reservedThrough: (botId) => store.reservedThrough(botId),
    giveBack: (botId, lastUsed) => store.giveBack(botId, lastUsed),
  }
  return { calls, store: wrapped }
}

test('ids come one after another with one reservation per half block, never past what is reserved between refills', async () => {
  const { calls, store } = counted(createMemoryEventIdStore())
  const ids = createEventIdBlocks(store, {
    blockSize: 100,
    onError: (err) => {
      throw err
    },
  })
  await ids.open('1000')
  const seen: number[] = []
  for (let i = 0; i < 1_000; i++) {
    seen.push(ids.next('1000'))
    await Promise.resolve() // let a refill land, as events arrive from workers between ticks
    expect(await store.reservedThrough('1000')).toBeGreaterThanOrEqual(seen.at(-1) ?? 0)
  }
  expect(seen).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1))
  expect(calls.reserve).toBeLessThanOrEqual(1 + 1_000 / 50)
})

test('a burst that outruns the refill still gets increasing ids, and the next reservation covers them', async () => {
  const store = createMemoryEventIdStore()
  const ids = createEventIdBlocks(store, {
    blockSize: 10,
    onError: (err) => {
      throw err
    },
  })
  await ids.open('1000')
  const burst = Array.from({ length: 25 }, () => ids.next('1000')) // no tick: the refill cannot land
  expect(burst).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
  for (let hop = 0; hop < 10; hop++) await Promise.resolve() // the refills resolve in microtasks, no timer
  expect(await store.reservedThrough('1000')).toBeGreaterThanOrEqual(25)
})

test('after a restart, ids continue past every id the last run could have handed out', async () => {
  const dir = dirs.make()
  const first = await openSqlite(dir)
  const before = createEventIdBlocks(first.eventIds, {
    blockSize: 100,
    onError: (err) => {
      throw err
    },
  })
  await before.open('1000')
  let last = 0
  for (let i = 0; i < 130; i++) last = before.next('1000')
  await first.close() // reservations were written as they were made: a crash here leaves the same file
  const second = await openSqlite(dir)
  try {
    const after = createEventIdBlocks(second.eventIds, {
      onError: (err) => {
        throw err
      },
    })
    await after.open('1000')
    expect(after.next('1000')).toBeGreaterThan(last)
  } finally {
    await second.close()
  }
})

test('a clean shutdown gives the unused ids back: the next run continues right after the last id used', async () => {
  const sqlite = await openSqlite(dirs.make())
  for (const store of [createMemoryEventIdStore(), sqlite.eventIds]) {
    const first = createEventIdBlocks(store, { blockSize: 100, onError: () => {} })
    expect(await first.open('bot')).toBe(0)
    for (let i = 0; i < 7; i++) first.next('bot')
    await first.close()
    const next = createEventIdBlocks(store, { blockSize: 100, onError: () => {} })
    expect(await next.open('bot')).toBe(7) // without the give-back: 100, a gap of ids never used
    expect(next.next('bot')).toBe(8)
    // giving back never raises the count
    await store.giveBack('bot', 1_000)
    expect(await store.reservedThrough('bot')).toBe(107)
  }
  await sqlite.close()
})
