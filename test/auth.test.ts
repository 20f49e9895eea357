import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startStack, waitFor, type Stack } from './support/stack.ts'

// Each test logs in what it needs and logs out what it must see stopped: any one runs alone or in any order.
let stack: Stack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack.stop())

describe('POST /api/auth/login and /api/auth/logout', () => {
  test('login with a bot token starts its worker and returns a session id and the bot', async () => {
    const reply = await stack.post('/api/auth/login', { token: stack.discord.tokens.alpha })
    expect(reply.status).toBe(200)
    expect(reply.json.message).toBe('Logged in successfully')
    expect(reply.json.sessionId).toMatch(/^[A-Za-z0-9_-]{21,}$/)
    const alpha = stack.discord.world.bots.alpha.user
    expect(reply.json.bot).toEqual({ id: alpha.id, username: alpha.username, avatar: alpha.avatar })
    expect(reply.json.intents).toEqual({ guildMembers: true, messageContent: true })
  })

  test('the same token twice gets two sessions on one worker: one gateway connection, one IDENTIFY', async () => {
    const token = stack.discord.tokens.beta
    const before = stack.discord.counters().identifies.beta ?? 0
    const [first, second] = await Promise.all([stack.login(token), stack.login(token)])
    expect(first.sessionId).not.toBe(second.sessionId)
    expect(stack.discord.counters().identifies.beta).toBe(before + 1)
    expect(stack.discord.counters().openConnections.beta).toBe(1)
    expect(first.reply.json.bot.id).toBe(second.reply.json.bot.id)
    // both sessions work
    expect((await stack.get('/api/guilds', first.sessionId)).status).toBe(200)
    expect((await stack.get('/api/guilds', second.sessionId)).status).toBe(200)
    for (const { sessionId } of [first, second]) await stack.post('/api/auth/logout', {}, sessionId)
    await waitFor(() => (stack.discord.counters().openConnections.beta ?? 0) === 0)
  })

  test('a token Discord rejects is a 401 and leaves no worker behind', async () => {
    const workersBefore = stack.service.pool.list().length
    const reply = await stack.post('/api/auth/login', { token: stack.discord.invalidToken })
    expect(reply.status).toBe(401)
    expect(reply.json).toEqual({ error: 'Discord rejected the token; log in again', code: 'unauthorized' })
    expect(stack.service.pool.list().length).toBe(workersBefore)
  })

  test('a bot whose application lacks privileged intents logs in without them', async () => {
    const { reply, sessionId } = await stack.login(stack.discord.tokens.gamma)
    expect(reply.json.intents).toEqual({ guildMembers: false, messageContent: false })
    const members = await stack.get(`/api/members?guildId=${stack.discord.world.ids.bigGuild}`, sessionId)
    expect(members.status).toBe(403)
    expect(members.json.error).toContain('GuildMembers')
    const messages = await stack.get(`/api/messages?channelId=${stack.discord.world.ids.generalChannel}`, sessionId)
    expect(messages.status).toBe(403)
    expect(messages.json.error).toContain('MessageContent')
    // the guilds it may see are still served
    expect((await stack.get('/api/guilds', sessionId)).status).toBe(200)
  })

  test('MAX_BOTS reached: a new bot gets 503 saying so', async () => {
    const full = await startStack({ MAX_BOTS: '2' })
    try {
      await full.login(full.discord.tokens.alpha)
      await full.login(full.discord.tokens.beta)
      const reply = await full.post('/api/auth/login', { token: full.discord.tokens.solo })
      expect(reply.status).toBe(503)
      expect(reply.json.code).toBe('capacity_reached')
      expect(reply.json.error).toContain('2 bots')
    } finally {
      await full.stop()
    }
  })

  test('GET /api/session shows the bot and the session state', async () => {
    const { sessionId } = await stack.login(stack.discord.tokens.alpha)
    const reply = await stack.get('/api/session', sessionId)
    expect(reply.status).toBe(200)
    expect(reply.json.bot.id).toBe(stack.discord.world.bots.alpha.user.id)
    expect(reply.json.worker.ready).toBe(true)
    expect(reply.json.worker.state).toBe('ready')
    expect(reply.json.sessionLabel).toBe(`${sessionId.slice(0, 6)}…`)
  })

  test('Bearer <sessionId> works as well as the bare id', async () => {
    const { sessionId } = await stack.login(stack.discord.tokens.alpha)
    const reply = await stack.request('GET', '/api/guilds', { headers: { authorization: `Bearer ${sessionId}` } })
    expect(reply.status).toBe(200)
  })

  test("logout ends the session; the bot's worker stops when its last session ends", async () => {
    const botId = stack.discord.world.bots.solo.user.id
    const running = () => stack.service.pool.list().some((bot) => bot.identity.botId === botId)
    const [first, ...others] = [
      (await stack.login(stack.discord.tokens.solo)).sessionId,
      (await stack.login(stack.discord.tokens.solo)).sessionId,
    ]

    const out = await stack.post('/api/auth/logout', {}, first)
    expect(out.status).toBe(200)
    expect(out.json).toEqual({ message: 'Logged out successfully' })
    expect((await stack.get('/api/guilds', first)).status).toBe(401)
    expect(running()).toBe(true) // another beta session remains

    for (const sessionId of others) expect((await stack.post('/api/auth/logout', {}, sessionId)).status).toBe(200)
    expect(running()).toBe(false)
    await waitFor(() => stack.discord.counters().openConnections.solo === 0)
  })
})

describe('login when Discord misbehaves', () => {
  test('Discord unreachable: 502 with a clear error', async () => {
    const unreachable = await startStack({ DISCORD_API_URL: 'http://127.0.0.1:9/api' })
    try {
      const reply = await unreachable.post('/api/auth/login', { token: unreachable.discord.tokens.alpha })
      expect(reply.status).toBe(502)
      expect(reply.json.code).toBe('discord_unavailable')
      expect(unreachable.service.pool.list()).toEqual([])
    } finally {
      await unreachable.stop()
    }
  })

  test('Discord too slow: 504 with a clear error', async () => {
    const slow = await startStack({ LOGIN_TIMEOUT_MS: '400' })
    try {
      slow.discord.control.failRest({ route: 'GET /gateway/bot', hang: true })
      const reply = await slow.post('/api/auth/login', { token: slow.discord.tokens.alpha })
      expect(reply.status).toBe(504)
      expect(reply.json.code).toBe('discord_timeout')
    } finally {
      slow.discord.control.clearFaults()
      await slow.stop()
    }
  })
})
