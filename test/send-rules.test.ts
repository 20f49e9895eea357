import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startStack, type Stack } from './support/stack.ts'

let stack: Stack
let sessionId: string
let channelId: string
const posts = () => stack.discord.counters().rest.alpha?.['POST /channels/:id/messages'] ?? 0
const lastMessage = () => stack.discord.world.messagesOf(channelId).at(-1)

beforeAll(async () => {
  stack = await startStack()
  ;({ sessionId } = await stack.login(stack.discord.tokens.alpha))
  channelId = stack.discord.world.ids.generalChannel
})
afterAll(() => stack.stop())

describe('what POST /api/messages sends to Discord', () => {
  test('a message naming @everyone, @here and a role pings none of them: allowed_mentions parses users only', async () => {
    const { moderatorRole, humanUser } = stack.discord.world.ids
    const content = `@everyone @here <@&${moderatorRole}> and <@${humanUser}>`
    const sent = await stack.post('/api/messages', { channelId, content }, sessionId)
    expect(sent.status).toBe(201)
    const message = lastMessage()
    expect(message?.content).toBe(content)
    expect(message?.allowedMentions).toEqual({ parse: ['users'], roles: [], users: [], repliedUser: false })
  })

  // Discord counts a message's length in code points (its API is Python 3: discord/discord-api-docs#1315), so an
  // emoji outside the BMP is one character there, though two UTF-16 units in JavaScript's `length`.
  test('content length is counted as Discord counts it: 2000 emoji are sent, 2001 are our 400 with no Discord call', async () => {
    const fits = await stack.post('/api/messages', { channelId, content: '😀'.repeat(2000) }, sessionId)
    expect(fits.status).toBe(201)
    expect(lastMessage()?.content).toBe('😀'.repeat(2000))
    const before = posts()
    const over = await stack.post('/api/messages', { channelId, content: '😀'.repeat(2001) }, sessionId)
    expect(over.status).toBe(400)
    expect(over.json).toEqual({ error: 'content: content must be 2000 characters or fewer', code: 'bad_request' })
    expect(posts()).toBe(before)
    // a character made of two code points (❤ + variation selector) counts as two, as it does at Discord
    const hearts = await stack.post('/api/messages', { channelId, content: '❤️'.repeat(1001) }, sessionId)
    expect(hearts.status).toBe(400)
    expect(posts()).toBe(before)
  })
})
