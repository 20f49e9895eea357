import { describe, expect, test } from 'bun:test'
import { attachBudgetCounter, createInvalidRequestBudget } from '../src/discord/invalid-budget.ts'

describe("Discord's invalid-request budget", () => {
  test('counts over a sliding ten minutes', () => {
    const budget = createInvalidRequestBudget(100)
    const start = 1_000_000_000
    budget.add(40, start)
    budget.add(30, start + 5 * 60_000)
    expect(budget.used(start + 5 * 60_000)).toBe(70)
    // the first 40 leave the window ten minutes after they came
    expect(budget.used(start + 10 * 60_000 + 1000)).toBe(30)
    expect(budget.used(start + 16 * 60_000)).toBe(0)
  })

  test('exhausted at the limit, and free again once the window drains', () => {
    const budget = createInvalidRequestBudget(50)
    const start = 2_000_000_000
    budget.add(49, start)
    expect(budget.exhausted(start)).toBe(false)
    budget.add(1, start + 1000)
    expect(budget.exhausted(start + 1000)).toBe(true)
    expect(budget.exhausted(start + 10 * 60_000 + 1000)).toBe(false)
  })
})

describe('the running total', () => {
  test('matches a plain count over the window at every step of a random walk', () => {
    const budget = createInvalidRequestBudget(1_000_000, { windowMs: 60_000 })
    const events: { at: number; count: number }[] = []
    let now = 5_000_000_000
    let seed = 7
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647
    for (let step = 0; step < 2000; step++) {
      now += Math.floor(random() * (random() < 0.05 ? 90_000 : 3_000))
      const count = Math.floor(random() * 4)
      budget.add(count, now)
      if (count > 0) events.push({ at: Math.floor(now / 1000), count })
      const current = Math.floor(now / 1000)
      const expected = events.filter((event) => event.at > current - 60).reduce((sum, event) => sum + event.count, 0)
      expect(budget.used(now)).toBe(expected)
    }
  })
})

describe('the shared window', () => {
  test('a bot past its share is refused alone; the IP-wide limit refuses every bot; Retry-After is when it drains', () => {
    const budget = createInvalidRequestBudget(20, { botSlots: 4, botLimit: 5 })
    const live = new Set(['a', 'b'])
    const slotA = budget.slotFor('a', (key) => live.has(key))
    const slotB = budget.slotFor('b', (key) => live.has(key))
    expect(slotA).not.toBe(slotB)
    const a = attachBudgetCounter({ buffer: budget.buffer, botSlot: slotA, ipLimit: 20, botLimit: 5 })
    const b = attachBudgetCounter({ buffer: budget.buffer, botSlot: slotB, ipLimit: 20, botLimit: 5 })
    const start = 3_000_000_000
    for (let i = 0; i < 5; i++) a.count(start + i * 60_000)
    const now = start + 4 * 60_000
    expect(a.refusal(now)).toBe('bot')
    expect(b.refusal(now)).toBeNull()
    expect(budget.usedByBot(slotA, now)).toBe(5)
    expect(budget.used(now)).toBe(5) // every thread's counts are in the one IP-wide window
    // the first count leaves the window ten minutes after it came: then a has room again
    expect(a.retryAfterMs('bot', now)).toBe(10 * 60_000 - 4 * 60_000)
    budget.add(15, now)
    expect(b.refusal(now)).toBe('ip')
    expect(a.refusal(start + 10 * 60_000 + 1)).toBeNull()
  })

  test('a bot that logs out and back in keeps its slot and its count; a slot still holding a count is not given to another bot', () => {
    const budget = createInvalidRequestBudget(100, { botSlots: 1, botLimit: 10 })
    const live = new Set<string>()
    const slot = budget.slotFor('a', (key) => live.has(key))
    attachBudgetCounter({ buffer: budget.buffer, botSlot: slot, ipLimit: 100, botLimit: 10 }).count()
    expect(budget.slotFor('a', (key) => live.has(key))).toBe(slot)
    expect(budget.slotFor('b', (key) => live.has(key))).toBe(-1) // a's count still in the window
  })
})
