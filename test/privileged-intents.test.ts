import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startStack, type Stack } from './support/stack.ts'

let stack: Stack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(() => stack.stop())

describe('privileged intents the application lacks (close 4014)', () => {
  test('a bot with MessageContent but not GuildMembers keeps MessageContent: only the missing intent is dropped', async () => {
    const { discord } = stack
    discord.control.setPrivilegedIntents('beta', { members: false, presences: false, content: true })
    const { reply, sessionId } = await stack.login(discord.tokens.beta)
    expect(reply.json.intents).toEqual({ guildMembers: false, messageContent: true })
    const messages = await stack.get(`/api/messages?channelId=${discord.world.ids.generalChannel}&limit=5`, sessionId)
    expect(messages.status).toBe(200)
    expect(messages.json.some((message: { content: string }) => message.content.length > 0)).toBe(true)
    const members = await stack.get(`/api/members?guildId=${discord.world.ids.bigGuild}`, sessionId)
    expect(members.status).toBe(403)
    expect(members.json.error).toContain('GuildMembers')
    // after the 4014 (the fake counts only the IDENTIFYs it accepts): one look at the flags, one IDENTIFY
    expect(discord.counters().identifies.beta).toBe(1)
    expect(discord.counters().rest.beta?.['GET /applications/@me']).toBe(1)
    await stack.post('/api/auth/logout', {}, sessionId)
  })

  test('a bot with all of them asks nothing more of Discord than the login', async () => {
    const { reply, sessionId } = await stack.login(stack.discord.tokens.solo)
    expect(reply.json.intents).toEqual({ guildMembers: true, messageContent: true })
    expect(stack.discord.counters().rest.solo?.['GET /applications/@me']).toBeUndefined()
    expect(stack.discord.counters().identifies.solo).toBe(1)
    await stack.post('/api/auth/logout', {}, sessionId)
  })
})
