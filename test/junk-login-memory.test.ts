import { afterAll, beforeAll, expect, test } from 'bun:test'
import { makeBotToken } from '../fake-discord/tokens.ts'
import { startStack, type Stack } from './support/stack.ts'

// The issue measured ~90 KB of RSS kept per junk login, with no worker left running. The bounds below are memory
// bounds after a full GC, not timings: 500 junk logins may keep a few KB each (the remembered rejections), no more.
let stack: Stack
beforeAll(async () => {
  stack = await startStack({ LOG_LEVEL: 'warn' })
})
afterAll(() => stack.stop())

const junk = (n: number) =>
  n % 2 === 0 ? `junk-${n}` : makeBotToken(String(200_000_000_000_000_000n + BigInt(n)), Date.now(), 'junk')

async function loginJunk(from: number, count: number) {
  for (let batch = 0; batch < count; batch += 25) {
    const replies = await Promise.all(
      Array.from({ length: Math.min(25, count - batch) }, (_, i) =>
        fetch(`${stack.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token: junk(from + batch + i) }),
        }).then(async (res) => {
          await res.arrayBuffer()
          return res.status
        }),
      ),
    )
    expect(replies.every((status) => status === 401)).toBe(true)
  }
}

function settledMemory() {
  Bun.gc(true)
  Bun.gc(true)
  const { rss, heapUsed } = process.memoryUsage()
  return { rss, heapUsed }
}

test('500 junk logins leave no worker and keep the heap and RSS within a bound after GC', async () => {
  await loginJunk(0, 100) // warm-up: code paths compiled, pools sized
  const before = settledMemory()
  await loginJunk(1_000, 500)
  const after = settledMemory()
  expect(stack.service.pool.list()).toHaveLength(0)
  expect(after.heapUsed - before.heapUsed).toBeLessThan(5 * 1_048_576) // < ~10 KB per login
  expect(after.rss - before.rss).toBeLessThan(25 * 1_048_576) // the leak: ~45 MB for 500
})
