import { describe, expect, test } from 'bun:test'
import { createLimiter } from '../src/pool/limiter.ts'

describe('start limiter', () => {
  test('never runs more than its limit at once, and runs every task in arrival order', async () => {
    const run = createLimiter(2)
    let active = 0
    let peak = 0
    const order: number[] = []
    const gates = Array.from({ length: 6 }, () => Promise.withResolvers<void>())
    const tasks = gates.map((gate, index) =>
      run(async () => {
        active += 1
        peak = Math.max(peak, active)
        order.push(index)
        await gate.promise
        active -= 1
        return index
      }),
    )
    for (const gate of gates) {
      await Bun.sleep(0)
      gate.resolve()
    }
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3, 4, 5])
    expect(peak).toBe(2)
    expect(order).toEqual([0, 1, 2, 3, 4, 5])
  })

  test('a failing task frees its slot', async () => {
    const run = createLimiter(1)
    await expect(run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await run(async () => 'next')).toBe('next')
  })
})
