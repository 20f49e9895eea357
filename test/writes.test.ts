import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startStack, type Stack } from './support/stack.ts'

// RPC_TIMEOUT_MS 3000 (the stack's): the worker gives Discord 2400 ms per call. A slow Discord below answers
// after ten minutes: far past any deadline, on any machine.
const NEVER_MS = 600_000

let stack: Stack
let alpha: string
beforeAll(async () => {
  stack = await startStack()
  alpha = (await stack.login(stack.discord.tokens.alpha)).sessionId
})
afterAll(() => stack.stop())

const ids = () => stack.discord.world.ids
const channelId = () => ids().smallGeneralChannel
const inChannel = (id = channelId()) => stack.discord.world.messagesOf(id)
const atDiscord = (id: string) => inChannel().find((message) => message.id === id)
const calls = (route: string) => stack.discord.counters().rest.alpha?.[route] ?? 0
const as = (method: string, path: string, body?: unknown) => stack.request(method, path, { sessionId: alpha, body })
const send = (body: Record<string, unknown>) => as('POST', '/api/messages', { channelId: channelId(), ...body })
const humanSays = (content: string, channel = channelId()) =>
  stack.discord.control.postMessage({ channelId: channel, content })
const reactionPath = (messageId: string, emoji: string) =>
  `/api/messages/${messageId}/reactions/${encodeURIComponent(emoji)}?channelId=${channelId()}`

describe('POST /api/messages', () => {
  test('content and embeds: Discord gets the embeds in snake_case, 201 with the message', async () => {
    const embed = {
      title: 'Release 1.2',
      description: 'Notes',
      url: 'https://example.com/notes',
      color: 0x5865f2,
      timestamp: '2026-11-25T12:00:00.000Z',
      footer: { text: 'ci', iconUrl: 'https://example.com/ci.png' },
      author: { name: 'builder', iconUrl: 'https://example.com/b.png' },
      fields: [{ name: 'tests', value: '812 passed', inline: true }],
      thumbnail: { url: 'https://example.com/t.png' },
    }
    const sent = await send({ content: 'shipped', embeds: [embed] })
    expect(sent.status).toBe(201)
    expect(sent.json).toMatchObject({ content: 'shipped', embedCount: 1, channelId: channelId() })
    expect(atDiscord(sent.json.id)?.embeds).toEqual([
      {
        title: 'Release 1.2',
        description: 'Notes',
        url: 'https://example.com/notes',
        color: 0x5865f2,
        timestamp: '2026-11-25T12:00:00.000Z',
        footer: { text: 'ci', icon_url: 'https://example.com/ci.png' },
        author: { name: 'builder', icon_url: 'https://example.com/b.png' },
        fields: [{ name: 'tests', value: '812 passed', inline: true }],
        thumbnail: { url: 'https://example.com/t.png' },
      },
    ])
  })

  test('embeds alone, without content, are a message', async () => {
    const sent = await send({ embeds: [{ description: 'just an embed' }] })
    expect(sent.status).toBe(201)
    expect(atDiscord(sent.json.id)).toMatchObject({ content: '', embeds: [{ description: 'just an embed' }] })
  })

  test('by default only users ping: @everyone and roles in the content do not, as the fake applies it', async () => {
    const content = `@everyone @here <@&${ids().moderatorRole}> <@${ids().humanUser}>`
    const sent = await send({ content })
    expect(sent.status).toBe(201)
    expect(atDiscord(sent.json.id)?.allowedMentions).toEqual({
      parse: ['users'],
      roles: [],
      users: [],
      repliedUser: false,
    })
  })

  test('allowedMentions is passed on in Discord’s words when the caller asks', async () => {
    const sent = await send({
      content: `@everyone <@&${ids().moderatorRole}>`,
      allowedMentions: { parse: ['everyone'], roles: [ids().moderatorRole] },
    })
    expect(sent.status).toBe(201)
    expect(atDiscord(sent.json.id)?.allowedMentions).toEqual({
      parse: ['everyone'],
      roles: [ids().moderatorRole],
      users: [],
      repliedUser: false,
    })
  })

  test('replyTo makes a reply to that message; the author it answers pings only with repliedUser', async () => {
    const asked = humanSays('who is on call?')
    const sent = await send({ content: 'me', replyTo: asked.id })
    expect(sent.status).toBe(201)
    expect(atDiscord(sent.json.id)?.replyTo).toEqual({ messageId: asked.id, authorId: ids().humanUser })
    expect(atDiscord(sent.json.id)?.allowedMentions?.repliedUser).toBe(false)
    const pinged = await send({ content: 'me again', replyTo: asked.id, allowedMentions: { repliedUser: true } })
    expect(atDiscord(pinged.json.id)?.allowedMentions?.repliedUser).toBe(true)
  })

  test('replyTo a message of another channel (or none) is 400 naming replyTo, and nothing is sent', async () => {
    const elsewhere = humanSays('in general', ids().generalChannel)
    const before = inChannel().length
    for (const replyTo of [elsewhere.id, '1000000000000000001']) {
      const reply = await send({ content: 'orphan', replyTo })
      expect(reply.status).toBe(400)
      expect(reply.json).toEqual({
        code: 'bad_request',
        error:
          'Discord rejected the request: replyTo: unknown message (a reply must name a message in the same channel)',
      })
    }
    expect(inChannel().length).toBe(before)
  })
})

describe('PATCH /api/messages/:messageId', () => {
  test("edits the bot's own message: 200 with the message as edited, and Discord holds the new content", async () => {
    const sent = await send({ content: 'draft' })
    const edited = await as('PATCH', `/api/messages/${sent.json.id}`, {
      channelId: channelId(),
      content: 'final',
      embeds: [{ title: 'added' }],
    })
    expect(edited.status).toBe(200)
    expect(edited.json).toMatchObject({ id: sent.json.id, content: 'final', embedCount: 1 })
    expect(edited.json.editedTimestamp).toEqual(expect.any(String))
    expect(atDiscord(sent.json.id)).toMatchObject({ content: 'final', embeds: [{ title: 'added' }] })
  })

  test("someone else's message is 403 saying a bot may only edit its own (Discord's 50005), unchanged", async () => {
    const theirs = humanSays('leave my words alone')
    const reply = await as('PATCH', `/api/messages/${theirs.id}`, { channelId: channelId(), content: 'mine now' })
    expect(reply.status).toBe(403)
    expect(reply.json).toEqual({
      code: 'forbidden',
      error: 'Cannot edit a message authored by another user: a bot may only edit its own messages',
    })
    expect(atDiscord(theirs.id)?.content).toBe('leave my words alone')
  })

  test('an unknown message is 404 Unknown message', async () => {
    const reply = await as('PATCH', '/api/messages/1000000000000000001', { channelId: channelId(), content: 'x' })
    expect(reply.status).toBe(404)
    expect(reply.json).toEqual({ code: 'not_found', error: 'Unknown message' })
  })
})

describe('DELETE /api/messages/:messageId', () => {
  test("deletes the bot's own message: 204, and it is gone at Discord", async () => {
    const sent = await send({ content: 'short-lived' })
    const reply = await as('DELETE', `/api/messages/${sent.json.id}?channelId=${channelId()}`)
    expect(reply.status).toBe(204)
    expect(reply.text).toBe('')
    expect(atDiscord(sent.json.id)).toBeUndefined()
  })

  test("another's message without Manage Messages is 403 (50013); an unknown one 404", async () => {
    const theirs = humanSays('still here')
    const refused = await as('DELETE', `/api/messages/${theirs.id}?channelId=${channelId()}`)
    expect(refused.status).toBe(403)
    expect(refused.json).toEqual({ code: 'forbidden', error: 'Missing permissions: the bot may not do this here' })
    expect(atDiscord(theirs.id)).toBeDefined()
    const unknown = await as('DELETE', `/api/messages/1000000000000000001?channelId=${channelId()}`)
    expect(unknown.status).toBe(404)
    expect(unknown.json.error).toBe('Unknown message')
  })
})

describe('PUT and DELETE /api/messages/:messageId/reactions/:emoji', () => {
  test('a unicode emoji is added as the bot, then removed; Discord holds each state', async () => {
    const target = humanSays('react to this')
    const reactors = () => atDiscord(target.id)?.reactions.get('👍')?.userIds ?? new Set<string>()
    expect((await as('PUT', reactionPath(target.id, '👍'))).status).toBe(204)
    expect([...reactors()]).toEqual([stack.discord.world.bots.alpha.user.id])
    expect((await as('DELETE', reactionPath(target.id, '👍'))).status).toBe(204)
    expect(reactors().size).toBe(0)
  })

  test('a custom emoji name:id reaches Discord URL-encoded; one Discord does not know is 400 Unknown emoji', async () => {
    const target = humanSays('custom')
    const before = calls('PUT /channels/:id/messages/:id/reactions/:emoji/@me')
    const reply = await as('PUT', reactionPath(target.id, 'party:1104455672845533184'))
    expect(reply.status).toBe(400)
    expect(reply.json.error).toStartWith('Unknown emoji')
    expect(calls('PUT /channels/:id/messages/:id/reactions/:emoji/@me')).toBe(before + 1)
  })
})

describe('POST /api/channels/:channelId/typing', () => {
  test('204, and Discord was asked once', async () => {
    const before = calls('POST /channels/:id/typing')
    const reply = await as('POST', `/api/channels/${channelId()}/typing`)
    expect(reply.status).toBe(204)
    expect(calls('POST /channels/:id/typing')).toBe(before + 1)
  })

  test('where the bot may not send: 403; a channel Discord does not know: 404', async () => {
    const readOnly = await as('POST', `/api/channels/${ids().readOnlyChannel}/typing`)
    expect(readOnly.status).toBe(403)
    const unknown = await as('POST', '/api/channels/1000000000000000001/typing')
    expect(unknown.status).toBe(404)
    expect(unknown.json).toEqual({ code: 'not_found', error: 'Unknown channel' })
  })
})

describe('every action needs a session, and maps Discord’s limits', () => {
  test('without a session each route is 401 and Discord is not called', async () => {
    const before = stack.discord.counters().rest.alpha ?? {}
    const routes: [string, string][] = [
      ['PATCH', '/api/messages/1000000000000000001'],
      ['DELETE', '/api/messages/1000000000000000001?channelId=1000000000000000002'],
      ['PUT', `/api/messages/1000000000000000001/reactions/${encodeURIComponent('👍')}?channelId=1000000000000000002`],
      ['POST', '/api/channels/1000000000000000002/typing'],
    ]
    for (const [method, path] of routes) {
      const reply = await stack.request(method, path, { body: method === 'PATCH' ? { content: 'x' } : undefined })
      expect(reply.status).toBe(401)
    }
    expect(stack.discord.counters().rest.alpha ?? {}).toEqual(before)
  })

  test('a Discord rate limit longer than the deadline is 429 with Retry-After', async () => {
    stack.discord.control.exhaustBucket({ bot: 'alpha', route: 'POST /channels/:id/typing', retryAfterMs: 60_000 })
    try {
      const reply = await as('POST', `/api/channels/${channelId()}/typing`)
      expect(reply.status).toBe(429)
      expect(reply.json.code).toBe('rate_limited')
      expect(Number(reply.headers.get('retry-after'))).toBeGreaterThanOrEqual(50)
    } finally {
      stack.discord.control.clearFaults()
    }
  })

  test('an edit Discord does not answer in time is 504 outcome_unknown, though Discord made it', async () => {
    const sent = await send({ content: 'before the slow edit' })
    stack.discord.control.failRest({ bot: 'alpha', route: 'PATCH /channels/:id/messages/:id', delayMs: NEVER_MS })
    let reply
    try {
      reply = await as('PATCH', `/api/messages/${sent.json.id}`, { channelId: channelId(), content: 'after' })
    } finally {
      stack.discord.control.clearFaults()
    }
    expect(reply.status).toBe(504)
    expect(reply.json).toEqual({
      code: 'outcome_unknown',
      error:
        'Discord did not answer in time: the edit may or may not have been made; sending the same edit again is safe',
    })
    expect(atDiscord(sent.json.id)?.content).toBe('after')
  })
})
