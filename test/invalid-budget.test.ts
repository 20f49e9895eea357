import { describe, expect, test } from 'bun:test'
import { createInvalidRequestBudget } from '../src/discord/invalid-budget.ts'

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
