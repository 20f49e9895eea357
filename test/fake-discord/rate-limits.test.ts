import { describe, expect, test } from 'bun:test'
import { createRateLimiter } from '../../fake-discord/rate-limits.ts'

/** A clock the test moves by hand: the limiter's windows without sleeping. */
const manualClock = (startMs = 1_700_000_000_000) => {
  let now = startMs
  return { now: () => now, advance: (ms: number) => void (now += ms) }
}

describe('rate limits', () => {
  test('a route bucket counts down per bot and major parameter, then 429s until it resets', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ bucketLimit: 2, bucketWindowMs: 1_000, globalPerSecond: 100 }, clock.now)
    expect(limiter.take('alpha', 'GET /channels/:id', '1').headers['X-RateLimit-Remaining']).toBe('1')
    expect(limiter.take('alpha', 'GET /channels/:id', '1').limited).toBeNull()
    const third = limiter.take('alpha', 'GET /channels/:id', '1')
    expect(third.limited).toEqual({ retryAfterMs: 1_000, global: false })
    expect(third.headers['X-RateLimit-Scope']).toBe('user')
    expect(limiter.take('alpha', 'GET /channels/:id', '2').limited).toBeNull() // another channel, another bucket
    expect(limiter.take('beta', 'GET /channels/:id', '1').limited).toBeNull() // another bot
    clock.advance(1_000)
    expect(limiter.take('alpha', 'GET /channels/:id', '1').limited).toBeNull()
  })

  test('the global limit counts every route of a bot and says so in its 429', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ bucketLimit: 50, bucketWindowMs: 1_000, globalPerSecond: 3 }, clock.now)
    for (const route of ['GET /a', 'GET /b', 'GET /c']) expect(limiter.take('alpha', route, '').limited).toBeNull()
    const limited = limiter.take('alpha', 'GET /d', '')
    expect(limited.limited?.global).toBe(true)
    expect(limited.headers['X-RateLimit-Global']).toBe('true')
    expect(limited.headers['X-RateLimit-Scope']).toBe('global')
    expect(limiter.take('beta', 'GET /d', '').limited).toBeNull()
  })

  test('headers name an opaque, stable bucket and the reset both absolute and relative', () => {
    const clock = manualClock(1_700_000_000_250)
    const limiter = createRateLimiter(undefined, clock.now)
    const { headers } = limiter.take('alpha', 'GET /users/@me', '')
    expect(headers).toMatchObject({
      'X-RateLimit-Limit': '50',
      'X-RateLimit-Remaining': '49',
      'X-RateLimit-Reset': '1700000001.250',
      'X-RateLimit-Reset-After': '1.000',
    })
    expect(headers['X-RateLimit-Bucket']).toMatch(/^[0-9a-f]{32}$/)
    expect(limiter.take('beta', 'GET /users/@me', '').headers['X-RateLimit-Bucket']).toBe(headers['X-RateLimit-Bucket'])
  })

  test('an exhausted bucket answers 429 for exactly the forced time, then resets', () => {
    const clock = manualClock()
    const limiter = createRateLimiter(undefined, clock.now)
    limiter.exhaust('alpha', 'GET /users/@me', 500)
    expect(limiter.take('alpha', 'GET /users/@me', '').limited).toEqual({ retryAfterMs: 500, global: false })
    clock.advance(500)
    expect(limiter.take('alpha', 'GET /users/@me', '').limited).toBeNull()
  })
})
