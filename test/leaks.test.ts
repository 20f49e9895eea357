import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startStack, type Stack } from './support/stack.ts'

let stack: Stack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack.stop())

describe('no token and no whole session id ever leaks', () => {
  test('a full tour of the API leaves no token or session id in any log line or response', async () => {
    const { tokens, invalidToken, world } = stack.discord
    const sessionIds: string[] = []
    for (const token of [tokens.alpha, tokens.gamma, tokens.alpha]) {
      const { sessionId } = await stack.login(token)
      sessionIds.push(sessionId)
    }
    const [alpha, gamma] = sessionIds as [string, string]
    await stack.post('/api/auth/login', { token: invalidToken })
    await stack.post('/api/auth/login', { token: `Bot ${tokens.beta}x` })
    await stack.get('/api/guilds', alpha)
    await stack.get(`/api/channels?guildId=${world.ids.bigGuild}`, alpha)
    await stack.get(`/api/members?guildId=${world.ids.bigGuild}&limit=5`, alpha)
    await stack.get(`/api/messages?channelId=${world.ids.hiddenChannel}`, alpha)
    await stack.get(`/api/members?guildId=${world.ids.bigGuild}`, gamma)
    await stack.post('/api/messages', { channelId: world.ids.readOnlyChannel, content: 'x' }, alpha)
    await stack.get('/api/session', alpha)
    await stack.request('GET', '/api/guilds', { headers: { authorization: `Bearer ${alpha}` } })
    await stack.post('/api/auth/logout', {}, gamma)

    const secrets = [...Object.values(tokens), invalidToken, ...sessionIds]
    const haystacks = [...stack.logs, ...stack.bodies.filter((body) => !body.includes('"sessionId"'))]
    expect(stack.logs.length).toBeGreaterThan(10)
    for (const secret of secrets) {
      for (const text of haystacks) expect(text).not.toContain(secret)
    }
    // the only place a session id appears is the login response that issued it
    for (const sessionId of sessionIds) {
      expect(stack.bodies.filter((body) => body.includes(sessionId))).toHaveLength(1)
    }
  })

  test('each request is logged once with method, route, status, ms and a short session label', async () => {
    const { sessionId } = await stack.login(stack.discord.tokens.beta)
    const label = `${sessionId.slice(0, 6)}…`
    expect((await stack.get('/api/guilds', sessionId)).status).toBe(200)
    const requestLines = stack.logs
      .map((line) => JSON.parse(line))
      .filter((line) => line.msg === 'request' && line.session === label)
    const guilds = requestLines.filter((line) => line.route === '/api/guilds')
    expect(guilds).toHaveLength(1)
    expect(guilds[0]).toMatchObject({ method: 'GET', status: 200, ms: expect.any(Number), session: label })
  })
})
