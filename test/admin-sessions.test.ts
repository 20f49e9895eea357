import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { botKeyOf } from '../src/pool/pool.ts'
import { createMemoryStore } from '../src/store/memory.ts'
import { openSse } from './support/sse.ts'
import { startStack, waitFor, type Stack } from './support/stack.ts'

const ADMIN_TOKEN = 'test-admin-token-0123456789'
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }

describe('admin: sessions and bots', () => {
  let stack: Stack
  const store = createMemoryStore()
  beforeAll(async () => {
    stack = await startStack({ ADMIN_TOKEN }, { bots: store.bots })
  })
  afterAll(() => stack.stop())

  const adminCall = (method: string, path: string) => stack.request(method, path, { headers: admin })
  const botOf = async (token: string) => {
    const { sessionId, reply } = await stack.login(token)
    return { sessionId, botId: reply.json.bot.id as string }
  }
  const stopped = (token: string) =>
    waitFor(() => stack.service.pool.get(botKeyOf(token)) === undefined || undefined, { timeoutMs: 15_000 })

  test('GET /admin/sessions lists label, handle, bot and times, never an id; filtered by bot; admin only', async () => {
    const a1 = await botOf(stack.discord.tokens.alpha)
    const a2 = await botOf(stack.discord.tokens.alpha)
    const b1 = await botOf(stack.discord.tokens.beta)
    const all = await adminCall('GET', '/admin/sessions')
    expect(all.status).toBe(200)
    const mine = all.json.filter((row: { label: string }) =>
      [a1, a2, b1].some(({ sessionId }) => sessionId.startsWith(row.label)),
    )
    expect(mine).toHaveLength(3)
    for (const row of mine) {
      expect(row).toEqual({
        label: expect.stringMatching(/^.{6}$/),
        handle: expect.stringMatching(/^[0-9a-f]{16}$/),
        botId: expect.any(String),
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
      })
    }
    const onlyAlpha = await adminCall('GET', `/admin/sessions?botId=${a1.botId}`)
    expect(onlyAlpha.json.map((row: { botId: string }) => row.botId)).toEqual([a1.botId, a1.botId])
    for (const { sessionId } of [a1, a2, b1]) expect(all.text).not.toContain(sessionId)
    expect((await stack.get('/admin/sessions', a1.sessionId)).status).toBe(401) // a session is not an admin
    expect((await adminCall('GET', '/admin/sessions?botId=alpha')).status).toBe(400)
    await adminCall('DELETE', `/admin/bots/${a1.botId}/sessions`)
    await adminCall('DELETE', `/admin/bots/${b1.botId}/sessions`)
  })

  test('DELETE /admin/sessions/{handle} ends that session only; its bot stops when it was the last', async () => {
    const kept = await botOf(stack.discord.tokens.alpha)
    const revoked = await botOf(stack.discord.tokens.alpha)
    const stream = await openSse(stack.url, '/api/events', revoked.sessionId)
    await stream.until((r) => r.comments.includes('connected'))
    const rows = (await adminCall('GET', `/admin/sessions?botId=${kept.botId}`)).json as Array<{
      label: string
      handle: string
    }>
    const handleOf = (sessionId: string) => rows.find((row) => sessionId.startsWith(row.label))?.handle ?? ''

    const res = await adminCall('DELETE', `/admin/sessions/${handleOf(revoked.sessionId)}`)
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ message: 'Session ended', sessionsEnded: 1 })
    expect((await stack.get('/api/guilds', revoked.sessionId)).status).toBe(401)
    await stream.until((r) => r.ended)
    expect(stream.frames.at(-1)).toMatchObject({ event: 'session_ended', data: { reason: 'revoked' } })
    expect((await stack.get('/api/guilds', kept.sessionId)).status).toBe(200)
    expect(stack.service.pool.leases(botKeyOf(stack.discord.tokens.alpha))).toBe(1)
    expect((await adminCall('DELETE', `/admin/sessions/${handleOf(revoked.sessionId)}`)).status).toBe(404)

    expect((await adminCall('DELETE', `/admin/sessions/${handleOf(kept.sessionId)}`)).status).toBe(200)
    await stopped(stack.discord.tokens.alpha)
    expect((await adminCall('DELETE', '/admin/sessions/not-a-handle')).status).toBe(400)
    // a session id is not a handle: it names nothing here
    expect((await adminCall('DELETE', `/admin/sessions/${kept.sessionId.slice(0, 16)}`)).status).toBeOneOf([400, 404])
  })

  test("DELETE /admin/bots/{botId}/sessions ends every session of that bot and no other's; the bot stops", async () => {
    const g1 = await botOf(stack.discord.tokens.gamma)
    const g2 = await botOf(stack.discord.tokens.gamma)
    const other = await botOf(stack.discord.tokens.beta)
    const res = await adminCall('DELETE', `/admin/bots/${g1.botId}/sessions`)
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ message: 'Sessions ended', sessionsEnded: 2 })
    for (const { sessionId } of [g1, g2]) expect((await stack.get('/api/guilds', sessionId)).status).toBe(401)
    await stopped(stack.discord.tokens.gamma)
    expect((await stack.get('/api/guilds', other.sessionId)).status).toBe(200)
    expect((await adminCall('DELETE', `/admin/bots/${g1.botId}/sessions`)).status).toBe(404) // nothing left of it
    expect((await adminCall('DELETE', `/admin/bots/${other.botId}/sessions`)).status).toBe(200)
  })

  test('DELETE /admin/bots/{botId} stops the bot, ends its sessions and forgets its token', async () => {
    const token = stack.discord.tokens.solo
    const first = await botOf(token)
    const second = await botOf(token)
    await store.bots.put({ token, botId: first.botId, intents: 1, desiredState: 'running' })
    const stream = await openSse(stack.url, '/api/events', first.sessionId)
    await stream.until((r) => r.comments.includes('connected'))

    const res = await adminCall('DELETE', `/admin/bots/${first.botId}`)
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ message: 'Bot removed', sessionsEnded: 2, tokenForgotten: true })
    expect(stack.service.pool.get(botKeyOf(token))).toBeUndefined()
    for (const { sessionId } of [first, second]) expect((await stack.get('/api/guilds', sessionId)).status).toBe(401)
    await stream.until((r) => r.ended)
    expect(stream.frames.at(-1)).toMatchObject({ event: 'session_ended', data: { reason: 'bot_removed' } })
    expect(await store.bots.list()).toEqual([])
    expect(await store.bots.listRunning()).toEqual([])
    await waitFor(() => stack.discord.counters().openConnections.solo === 0 || undefined, { timeoutMs: 15_000 })
    expect((await adminCall('DELETE', `/admin/bots/${first.botId}`)).status).toBe(404)
    expect((await adminCall('DELETE', '/admin/bots/not-a-snowflake')).status).toBe(400)
    // a token forgotten is not banned: logging in again starts the bot
    expect((await stack.login(token)).sessionId).toBeString()
  })

  test('no admin answer carried a session id', () => {
    const ids = stack.bodies.join('\n').match(/"sessionId":"([^"]+)"/g) ?? []
    const adminBodies = stack.bodies.filter((body) => body.includes('"handle"') || body.includes('sessionsEnded'))
    for (const match of ids) {
      const id = match.slice('"sessionId":"'.length, -1)
      for (const body of adminBodies) expect(body).not.toContain(id)
    }
    expect(adminBodies.length).toBeGreaterThan(0)
  })
})
