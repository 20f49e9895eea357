import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { botKeyOf } from '../src/pool/pool.ts'
import { createMemorySessionStore } from '../src/sessions/store.ts'
import { openSse } from './support/sse.ts'
import { startStack, waitFor, type Stack } from './support/stack.ts'
import { manualClock } from './support/store-fixtures.ts'

const HOUR_MS = 3_600_000

describe('SESSION_IDLE_TTL=1h, swept explicitly on a clock the test moves', () => {
  let stack: Stack
  const clock = manualClock()
  beforeAll(async () => {
    // the timer is an hour away: every sweep in this file is the test's own
    stack = await startStack(
      { SESSION_IDLE_TTL: '1h', SESSION_SWEEP_INTERVAL_MS: String(HOUR_MS / 6) },
      { sessions: createMemorySessionStore(clock.now) },
    )
  })
  afterAll(() => stack.stop())

  test('idle sessions end, their streams end, their bot stops with its last one; a session in use lives on', async () => {
    const alphaKey = botKeyOf(stack.discord.tokens.alpha)
    const first = await stack.login(stack.discord.tokens.alpha)
    const second = await stack.login(stack.discord.tokens.alpha)
    const beta = await stack.login(stack.discord.tokens.beta)
    const stream = await openSse(stack.url, '/api/events', first.sessionId)
    await stream.until((r) => r.comments.includes('connected'))

    clock.advance(HOUR_MS / 2)
    expect((await stack.get('/api/session', beta.sessionId)).status).toBe(200) // beta is used, alpha is not
    clock.advance(HOUR_MS / 2)
    expect(await stack.service.sessionExpiry.sweep()).toBe(0) // exactly an hour idle: not past it yet
    clock.advance(1)
    expect(await stack.service.sessionExpiry.sweep()).toBe(2)

    for (const { sessionId } of [first, second]) {
      const res = await stack.get('/api/guilds', sessionId)
      expect(res.status).toBe(401)
    }
    await stream.until((r) => r.ended)
    expect(stream.frames.at(-1)).toMatchObject({ event: 'session_ended', data: { reason: 'expired' } })
    // the leases went with the sessions: the bot logs out of Discord
    expect(stack.service.pool.leases(alphaKey)).toBe(0)
    await waitFor(() => stack.discord.counters().openConnections.alpha === 0 || undefined, { timeoutMs: 15_000 })
    expect((await stack.get('/api/guilds', beta.sessionId)).status).toBe(200)
    expect(stack.logs.join('')).toContain('session expired')
    expect(stack.logs.join('')).not.toContain(first.sessionId)

    // and the bot can be logged into again
    const again = await stack.login(stack.discord.tokens.alpha)
    expect((await stack.get('/api/guilds', again.sessionId)).status).toBe(200)
    clock.advance(HOUR_MS + 1)
    expect(await stack.service.sessionExpiry.sweep()).toBe(2) // beta's and the new one, both idle now
  })

  test('a session that logged out before the sweep is not released twice: the bot keeps its other sessions', async () => {
    const gammaKey = botKeyOf(stack.discord.tokens.gamma)
    const kept = await stack.login(stack.discord.tokens.gamma)
    const leaving = await stack.login(stack.discord.tokens.gamma)
    clock.advance(HOUR_MS + 1)
    expect((await stack.post('/api/auth/logout', {}, leaving.sessionId)).status).toBe(200)
    expect((await stack.get('/api/session', kept.sessionId)).status).toBe(200) // in use again
    expect(await stack.service.sessionExpiry.sweep()).toBe(0)
    expect(stack.service.pool.leases(gammaKey)).toBe(1)
    expect((await stack.get('/api/guilds', kept.sessionId)).status).toBe(200)
  })
})

test('SESSION_IDLE_TTL=0: sessions never expire, however long unused', async () => {
  const clock = manualClock()
  const stack = await startStack({ SESSION_IDLE_TTL: '0' }, { sessions: createMemorySessionStore(clock.now) })
  try {
    const { sessionId } = await stack.login(stack.discord.tokens.alpha)
    clock.advance(10 * 365 * 24 * HOUR_MS)
    expect(await stack.service.sessionExpiry.sweep()).toBe(0)
    expect((await stack.get('/api/guilds', sessionId)).status).toBe(200)
  } finally {
    await stack.stop()
  }
})
