import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { makeBotToken } from '../fake-discord/tokens.ts'
import type { FakeDiscord } from '../fake-discord/index.ts'
import { startStack, waitFor, type Stack } from './support/stack.ts'

/** Calls that reached the fake Discord with a token it knows no bot for: what junk logins cost Discord. */
function anonymousCalls(discord: FakeDiscord): number {
  const { rest, restTotal } = discord.counters()
  const known = Object.values(rest).reduce(
    (sum, routes) => sum + Object.values(routes ?? {}).reduce((a, b) => a + b, 0),
    0,
  )
  return restTotal - known
}

/** Token-shaped, for a user id no bot has: Discord answers it 401. Distinct for each `n`. */
const unknownToken = (n: number) => makeBotToken(String(100_000_000_000_000_000n + BigInt(n)), Date.now(), 'junk')

const MALFORMED = [
  'abc',
  'a.b.c',
  `${Buffer.from('not-a-snowflake').toString('base64url')}.GzkVvD.${'x'.repeat(38)}`,
  `${Buffer.from('123456789012345678').toString('base64url')}.GzkVvD.${'x'.repeat(37)}\n`,
  `${Buffer.from('123456789012345678').toString('base64url')}.GzkVvD.${'x'.repeat(36)}é`,
  `${Buffer.from('123456789012345678').toString('base64url')}.GzkVvD.${'x'.repeat(150)}`,
  `${Buffer.from('123456789012345678').toString('base64url')}.GzkVvD.${'x'.repeat(38)}.extra`,
]

let stack: Stack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack.stop())

const budgetUsed = async (s: Stack) =>
  (await s.request('GET', '/admin/health', { headers: { authorization: `Bearer ${s.service.adminToken}` } })).json
    .invalidRequests.used as number

describe('junk logins cost nothing', () => {
  test('what cannot be a token is a 401 invalid_token at once: no Discord call, no worker', async () => {
    const callsBefore = stack.discord.counters().restTotal
    const botsBefore = stack.service.pool.list().length
    for (const token of MALFORMED) {
      const reply = await stack.post('/api/auth/login', { token })
      expect(reply.status).toBe(401)
      expect(reply.json.code).toBe('invalid_token')
    }
    expect(stack.discord.counters().restTotal).toBe(callsBefore)
    expect(stack.service.pool.list()).toHaveLength(botsBefore)
  })

  test('a well-formed token Discord rejects costs one Discord call, counted in the budget; a repeat costs none', async () => {
    const token = unknownToken(1)
    const callsBefore = anonymousCalls(stack.discord)
    const usedBefore = await budgetUsed(stack)
    const first = await stack.post('/api/auth/login', { token })
    expect(first.status).toBe(401)
    expect(first.json.code).toBe('unauthorized')
    expect(anonymousCalls(stack.discord)).toBe(callsBefore + 1)
    expect(await budgetUsed(stack)).toBe(usedBefore + 1)
    const again = await stack.post('/api/auth/login', { token })
    expect(again.status).toBe(401)
    expect(anonymousCalls(stack.discord)).toBe(callsBefore + 1)
    expect(await budgetUsed(stack)).toBe(usedBefore + 1)
    expect(stack.discord.counters().identifies).not.toHaveProperty('anonymous')
  })

  test('concurrent logins with one unknown token share one Discord call', async () => {
    const token = unknownToken(2)
    const callsBefore = anonymousCalls(stack.discord)
    const replies = await Promise.all(Array.from({ length: 10 }, () => stack.post('/api/auth/login', { token })))
    expect(replies.map((reply) => reply.status)).toEqual(Array(10).fill(401))
    expect(anonymousCalls(stack.discord)).toBe(callsBefore + 1)
  })

  test("Discord's 429 on the check is passed on with Retry-After, counted, and honoured: no call until it passes", async () => {
    stack.discord.control.exhaustBucket({ bot: 'gamma', route: 'GET /users/@me', retryAfterMs: 60_000 })
    const usedBefore = await budgetUsed(stack)
    const first = await stack.post('/api/auth/login', { token: stack.discord.tokens.gamma })
    expect(first.status).toBe(429)
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await budgetUsed(stack)).toBe(usedBefore + 1)
    const calls = stack.discord.counters().rest.gamma?.['GET /users/@me']
    expect((await stack.post('/api/auth/login', { token: stack.discord.tokens.gamma })).status).toBe(429)
    expect(stack.discord.counters().rest.gamma?.['GET /users/@me']).toBe(calls)
    // a bucket of one bot holds back that bot's logins only
    expect((await stack.post('/api/auth/login', { token: stack.discord.tokens.solo })).status).toBe(200)
  })

  test('a token check Discord does not answer in time is 504, and the token is not remembered as rejected', async () => {
    const slow = await startStack({ TOKEN_CHECK_TIMEOUT_MS: '300' })
    try {
      slow.discord.control.failRest({ bot: 'alpha', route: 'GET /users/@me', hang: true, count: 1 })
      const reply = await slow.post('/api/auth/login', { token: slow.discord.tokens.alpha })
      expect(reply.status).toBe(504)
      expect(reply.json.code).toBe('discord_timeout')
      expect(slow.service.pool.list()).toHaveLength(0)
      expect((await slow.post('/api/auth/login', { token: slow.discord.tokens.alpha })).status).toBe(200)
    } finally {
      await slow.stop()
    }
  })

  test('with the invalid-request budget exhausted, a login is 503 with Retry-After and calls Discord not at all', async () => {
    const tight = await startStack({ INVALID_REQUEST_LIMIT: '2' })
    try {
      for (const n of [10, 11])
        expect((await tight.post('/api/auth/login', { token: unknownToken(n) })).status).toBe(401)
      const callsBefore = tight.discord.counters().restTotal
      for (const token of [unknownToken(12), tight.discord.tokens.alpha]) {
        const reply = await tight.post('/api/auth/login', { token })
        expect(reply.status).toBe(503)
        expect(reply.json.code).toBe('discord_unavailable')
        expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0)
      }
      expect(tight.discord.counters().restTotal).toBe(callsBefore)
      expect(tight.service.pool.list()).toHaveLength(0)
    } finally {
      await tight.stop()
    }
  })
})

describe('the start queue is fair', () => {
  test('a junk flood does not hold MAX_BOTS: a real login beside 40 junk ones gets its bot', async () => {
    const small = await startStack({ MAX_BOTS: '2', LOGIN_CONCURRENCY: '1' })
    try {
      const junk = Array.from({ length: 40 }, (_, n) =>
        small.post('/api/auth/login', { token: n % 2 ? unknownToken(100 + n) : `junk-${n}` }),
      )
      const real = small.post('/api/auth/login', { token: small.discord.tokens.alpha })
      const [realReply, ...junkReplies] = await Promise.all([real, ...junk])
      expect(realReply.status).toBe(200)
      expect(junkReplies.every((reply) => reply.status === 401)).toBe(true)
      // one check per distinct well-formed junk token, none for the malformed ones
      expect(anonymousCalls(small.discord)).toBe(20)
      expect(small.service.pool.list()).toHaveLength(1)
      // the client's mistakes are no errors of ours: nothing at error level, no stack
      const errors = small.logs.filter((line) => /"level":(50|60)/.test(line) || line.includes('"stack"'))
      expect(errors).toEqual([])
    } finally {
      await small.stop()
    }
  })

  test('a login whose client disconnects while its bot starts is cancelled: the bot stops', async () => {
    const hung = await startStack({ WORKER_TEST_HOOKS: '1', WORKER_TEST_START_FAULT: 'hang' })
    try {
      const abort = new AbortController()
      const login = fetch(`${hung.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: hung.discord.tokens.alpha }),
        signal: abort.signal,
      }).catch(() => 'aborted')
      await waitFor(() => hung.service.pool.list().length === 1)
      abort.abort()
      expect(await login).toBe('aborted')
      await waitFor(() => hung.service.pool.list().length === 0)
    } finally {
      await hung.stop()
    }
  })

  test('a login that waits past LOGIN_WAIT_MS is 503 with Retry-After and its start is cancelled', async () => {
    const hung = await startStack({ WORKER_TEST_HOOKS: '1', WORKER_TEST_START_FAULT: 'hang', LOGIN_WAIT_MS: '500' })
    try {
      const reply = await hung.post('/api/auth/login', { token: hung.discord.tokens.alpha })
      expect(reply.status).toBe(503)
      expect(reply.json.code).toBe('bot_unavailable')
      expect(reply.headers.get('retry-after')).toBeTruthy()
      await waitFor(() => hung.service.pool.list().length === 0)
    } finally {
      await hung.stop()
    }
  })

  test('MAX_SESSIONS_PER_BOT: one more session is 429 capacity_reached', async () => {
    const capped = await startStack({ MAX_SESSIONS_PER_BOT: '2' })
    try {
      const sessions = [await capped.login(capped.discord.tokens.beta), await capped.login(capped.discord.tokens.beta)]
      const third = await capped.post('/api/auth/login', { token: capped.discord.tokens.beta })
      expect(third.status).toBe(429)
      expect(third.json).toMatchObject({
        code: 'capacity_reached',
        error: expect.stringContaining('MAX_SESSIONS_PER_BOT'),
      })
      await capped.post('/api/auth/logout', {}, sessions[0]!.sessionId)
      expect((await capped.post('/api/auth/login', { token: capped.discord.tokens.beta })).status).toBe(200)
    } finally {
      await capped.stop()
    }
  })
})

describe('login limits per client IP', () => {
  const limited = { LOGIN_BURST: '3', LOGIN_PER_MINUTE: '1', LOGIN_FAILURE_COST: '3', LOGIN_MAX_PENDING_PER_IP: '1' }

  test('good logins cost one unit each; every answer carries RateLimit-Policy and RateLimit', async () => {
    const s = await startStack(limited)
    try {
      const replies = []
      for (let i = 0; i < 3; i++) replies.push(await s.post('/api/auth/login', { token: s.discord.tokens.alpha }))
      expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200])
      expect(replies[0]!.headers.get('ratelimit-policy')).toBe('"login";q=3;w=180')
      expect(replies.map((reply) => reply.headers.get('ratelimit')?.match(/r=(\d+)/)?.[1])).toEqual(['2', '1', '0'])
      const fourth = await s.post('/api/auth/login', { token: s.discord.tokens.alpha })
      expect(fourth.status).toBe(429)
      expect(fourth.json.code).toBe('rate_limited')
      expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(fourth.headers.get('ratelimit')).toMatch(/^"login";r=0;t=\d+$/)
    } finally {
      await s.stop()
    }
  })

  test('a failed attempt costs much more: after one junk token the next attempt is refused without work', async () => {
    const s = await startStack(limited)
    try {
      const junk = await s.post('/api/auth/login', { token: 'junk' })
      expect(junk.status).toBe(401)
      expect(junk.headers.get('ratelimit')).toMatch(/^"login";r=0;/) // 3 - 3: the answer shows the cost
      const callsBefore = s.discord.counters().restTotal
      const next = await s.post('/api/auth/login', { token: s.discord.tokens.alpha })
      expect(next.status).toBe(429)
      expect(s.discord.counters().restTotal).toBe(callsBefore)
    } finally {
      await s.stop()
    }
  })

  test('X-Forwarded-For is believed only from TRUST_PROXY addresses', async () => {
    const untrusted = await startStack(limited)
    const trusted = await startStack({ ...limited, TRUST_PROXY: '127.0.0.1,::1' })
    try {
      const junkFrom = (s: Stack, client: string) =>
        s.request('POST', '/api/auth/login', { body: { token: 'junk' }, headers: { 'x-forwarded-for': client } })
      // not trusted: every request is the peer's, whatever it claims
      expect((await junkFrom(untrusted, '203.0.113.1')).status).toBe(401)
      expect((await junkFrom(untrusted, '203.0.113.2')).status).toBe(429)
      // trusted: each client has its own bucket; a spoofed entry left of the proxy's is not believed
      expect((await junkFrom(trusted, '203.0.113.1')).status).toBe(401)
      expect((await junkFrom(trusted, '203.0.113.2')).status).toBe(401)
      expect((await junkFrom(trusted, '198.51.100.9, 203.0.113.1')).status).toBe(429)
    } finally {
      await untrusted.stop()
      await trusted.stop()
    }
  })

  test('logins in progress per IP are capped: a second one while the first waits is 429; the first may leave', async () => {
    const s = await startStack({ ...limited, WORKER_TEST_HOOKS: '1', WORKER_TEST_START_FAULT: 'hang' })
    try {
      const abort = new AbortController()
      const first = fetch(`${s.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: s.discord.tokens.alpha }),
        signal: abort.signal,
      }).catch(() => 'aborted')
      await waitFor(() => s.service.pool.list().length === 1) // checked with Discord, its worker hung in start
      const second = await s.post('/api/auth/login', { token: s.discord.tokens.beta })
      expect(second.status).toBe(429)
      expect(second.json.error).toContain('in progress')
      expect(s.discord.counters().rest.beta?.['GET /users/@me'] ?? 0).toBe(0)
      abort.abort()
      expect(await first).toBe('aborted')
      await waitFor(() => s.service.pool.list().length === 0)
    } finally {
      await s.stop()
    }
  })
})
