import { describe, expect, test } from 'bun:test'
import { clientAddress, createLoginLimits, createMemoryBucketStore } from '../src/http/login-limits.ts'
import { isTokenShaped } from '../src/discord/token-shape.ts'
import { makeBotToken } from '../fake-discord/tokens.ts'

// The clock is a variable here: refills are checked by moving it, never by waiting.
const settings = { burst: 4, perMinute: 60, failureCost: 4, maxPending: 2 }

describe('login bucket per client IP', () => {
  test('a failure puts the client in debt; time pays it back at LOGIN_PER_MINUTE', async () => {
    let now = 1_000_000
    const limits = createLoginLimits(settings, createMemoryBucketStore(settings), () => now)
    const ticket = await limits.admit('192.0.2.1')
    await ticket.finish(true) // 4 - 4 = 0
    await expect(limits.admit('192.0.2.1')).rejects.toMatchObject({
      status: 429,
      extra: { headers: { 'Retry-After': '1' } },
    })
    now += 1_000 // one unit back
    const next = await limits.admit('192.0.2.1')
    expect(next.headers.RateLimit).toBe('"login";r=0;t=4')
    await next.finish(true) // 0 - 3 more = -3: in debt
    now += 3_000
    await expect(limits.admit('192.0.2.1')).rejects.toMatchObject({ status: 429 })
    now += 1_000
    expect((await limits.admit('192.0.2.1')).headers['RateLimit-Policy']).toBe('"login";q=4;w=4')
    // another client is untouched
    expect((await limits.admit('192.0.2.2')).headers.RateLimit).toBe('"login";r=3;t=1')
  })

  test('logins in progress per IP are capped, and a finished one frees its place', async () => {
    const limits = createLoginLimits(settings, createMemoryBucketStore(settings), () => 0)
    const first = await limits.admit('192.0.2.9')
    await limits.admit('192.0.2.9')
    await expect(limits.admit('192.0.2.9')).rejects.toMatchObject({ status: 429 })
    await first.finish(false)
    await first.finish(false) // idempotent: frees one place, not two
    expect(limits.pending('192.0.2.9')).toBe(1)
    await limits.admit('192.0.2.9')
    await expect(limits.admit('192.0.2.9')).rejects.toMatchObject({ status: 429 })
  })
})

describe('client address', () => {
  const proxies = new Set(['10.0.0.1', '10.0.0.2'])
  test('the peer, unless it is a trusted proxy', () => {
    expect(clientAddress('203.0.113.5', '198.51.100.1', proxies)).toBe('203.0.113.5')
    expect(clientAddress('::ffff:10.0.0.1', '198.51.100.1', proxies)).toBe('198.51.100.1')
  })
  test("from a proxy, the rightmost address that is not a proxy's: what the client wrote itself is not believed", () => {
    expect(clientAddress('10.0.0.1', 'spoofed, 198.51.100.1, 10.0.0.2', proxies)).toBe('198.51.100.1')
    expect(clientAddress('10.0.0.1', undefined, proxies)).toBe('10.0.0.1')
  })
})

describe('token shape', () => {
  test('Discord-shaped tokens pass; anything else does not', () => {
    const good = makeBotToken('123456789012345678', Date.now(), 'secret')
    expect(isTokenShaped(good)).toBe(true)
    for (const bad of ['', 'abc', `${good}\n`, `${good}é`, `Bot ${good}`, `${good}.x`, good.replace('.', '')]) {
      expect(isTokenShaped(bad)).toBe(false)
    }
    const notSnowflake = `${Buffer.from('hello-world-12345').toString('base64url')}${good.slice(good.indexOf('.'))}`
    expect(isTokenShaped(notSnowflake)).toBe(false)
  })
})
