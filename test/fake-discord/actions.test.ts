import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { GatewayDispatchEvents, GatewayIntentBits, type GatewayDispatchPayload } from 'discord-api-types/v10'
import type { Client } from 'discord.js'
import { startFakeDiscord, type FakeDiscord } from '../../fake-discord/index.ts'
import { api, createClient, loginReady, UNPRIVILEGED_INTENTS, waitFor } from './test-support.ts'

let fake: FakeDiscord
/** gamma watches, with the typing intent on top of the unprivileged ones; alpha acts over plain REST. */
let gamma: Client<true>
const dispatches: GatewayDispatchPayload[] = []

beforeAll(async () => {
  fake = await startFakeDiscord({ port: 0 })
  gamma = await loginReady(
    createClient(fake, [...UNPRIVILEGED_INTENTS, GatewayIntentBits.GuildMessageTyping]),
    fake.tokens.gamma,
  )
  ;(gamma as unknown as NodeJS.EventEmitter).on('raw', (packet: GatewayDispatchPayload) => dispatches.push(packet))
})
afterAll(async () => {
  await gamma.destroy()
  await fake.stop()
})

const channel = () => fake.world.ids.smallGeneralChannel
const messages = () => `/channels/${channel()}/messages`
const asAlpha = (method: string, path: string, body?: unknown) => api(fake, fake.tokens.alpha, method, path, body)
const send = (body: Record<string, unknown>) => asAlpha('POST', messages(), body)
const dispatched = (type: GatewayDispatchEvents, match: (data: any) => boolean): Promise<{ d: any }> =>
  waitFor(() => dispatches.find((packet) => packet.t === type && match(packet.d)), { what: type })

describe('the gateway dispatches what REST writes do, as Discord does', () => {
  test('an edit is MESSAGE_UPDATE, a delete MESSAGE_DELETE', async () => {
    const sent = await send({ content: 'to be edited' })
    expect((await asAlpha('PATCH', `${messages()}/${sent.json.id}`, { content: 'edited' })).status).toBe(200)
    const update = await dispatched(GatewayDispatchEvents.MessageUpdate, (d) => d.id === sent.json.id)
    expect(update.d).toMatchObject({ id: sent.json.id, channel_id: channel(), edited_timestamp: expect.any(String) })
    expect((await asAlpha('DELETE', `${messages()}/${sent.json.id}`)).status).toBe(204)
    const deleted = await dispatched(GatewayDispatchEvents.MessageDelete, (d) => d.id === sent.json.id)
    expect(deleted.d).toEqual({ id: sent.json.id, channel_id: channel(), guild_id: fake.world.ids.smallGuild })
  })

  test('a reaction added and removed is MESSAGE_REACTION_ADD then _REMOVE, with the emoji', async () => {
    const sent = await send({ content: 'react here' })
    const path = `${messages()}/${sent.json.id}/reactions/${encodeURIComponent('🎉')}/@me`
    expect((await asAlpha('PUT', path)).status).toBe(204)
    const added = await dispatched(GatewayDispatchEvents.MessageReactionAdd, (d) => d.message_id === sent.json.id)
    expect(added.d).toMatchObject({ user_id: fake.world.bots.alpha.user.id, emoji: { id: null, name: '🎉' } })
    expect((await asAlpha('DELETE', path)).status).toBe(204)
    const removed = await dispatched(GatewayDispatchEvents.MessageReactionRemove, (d) => d.message_id === sent.json.id)
    expect(removed.d).toMatchObject({ user_id: fake.world.bots.alpha.user.id, emoji: { name: '🎉' } })
  })

  test('POST /channels/:id/typing is TYPING_START to bots with the typing intent, discord.js typingStart', async () => {
    const typing: string[] = []
    gamma.on('typingStart', (event) => void typing.push(event.user.id))
    expect((await asAlpha('POST', `/channels/${channel()}/typing`)).status).toBe(204)
    const start = await dispatched(GatewayDispatchEvents.TypingStart, (d) => d.channel_id === channel())
    // Unix seconds, not milliseconds
    expect(String(start.d.timestamp)).toMatch(/^\d{10}$/)
    expect(start.d).toMatchObject({ user_id: fake.world.bots.alpha.user.id, guild_id: fake.world.ids.smallGuild })
    await waitFor(() => typing.includes(fake.world.bots.alpha.user.id), { what: 'typingStart' })
  })

  test('typing where the bot may not send is 50013', async () => {
    const reply = await asAlpha('POST', `/channels/${fake.world.ids.readOnlyChannel}/typing`)
    expect(reply.json).toEqual({ message: 'Missing Permissions', code: 50013 })
  })
})

describe('refusals, in Discord’s words', () => {
  test("deleting another's message without Manage Messages is 50013; an unknown one 10008", async () => {
    const theirs = fake.control.postMessage({ channelId: channel(), content: 'not yours' })
    expect((await asAlpha('DELETE', `${messages()}/${theirs.id}`)).json).toEqual({
      message: 'Missing Permissions',
      code: 50013,
    })
    expect((await asAlpha('DELETE', `${messages()}/1000000000000000001`)).json).toEqual({
      message: 'Unknown Message',
      code: 10008,
    })
  })

  test('an emoji Discord does not know is 400 10014, on PUT and DELETE', async () => {
    const sent = await send({ content: 'emoji' })
    for (const emoji of ['notanemoji', 'party:1104455672845533184']) {
      for (const method of ['PUT', 'DELETE']) {
        const reply = await asAlpha(method, `${messages()}/${sent.json.id}/reactions/${encodeURIComponent(emoji)}/@me`)
        expect(reply.status).toBe(400)
        expect(reply.json).toEqual({ message: 'Unknown Emoji', code: 10014 })
      }
    }
  })
})

describe('embeds, checked as Discord checks them', () => {
  test('a title over 256 is 50035 with the field path in the error tree', async () => {
    const reply = await send({ embeds: [{ description: 'ok' }, { title: 'x'.repeat(257) }] })
    expect(reply.status).toBe(400)
    expect(reply.json).toEqual({
      message: 'Invalid Form Body',
      code: 50035,
      errors: {
        embeds: {
          1: { title: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 256 or fewer in length.' }] } },
        },
      },
    })
  })

  test('each limit: fields, field name and value, footer, author, and 6000 in all', async () => {
    const field = { name: 'n', value: 'v' }
    const cases: [Record<string, unknown>[], string[], string][] = [
      [[{ fields: Array(26).fill(field) }], ['embeds', '0', 'fields'], 'BASE_TYPE_MAX_LENGTH'],
      [
        [{ fields: [field, { name: 'n'.repeat(257), value: 'v' }] }],
        ['embeds', '0', 'fields', '1', 'name'],
        'BASE_TYPE_MAX_LENGTH',
      ],
      [
        [{ fields: [{ name: 'n', value: 'v'.repeat(1025) }] }],
        ['embeds', '0', 'fields', '0', 'value'],
        'BASE_TYPE_MAX_LENGTH',
      ],
      [[{ fields: [{ name: 'n' }] }], ['embeds', '0', 'fields', '0', 'value'], 'BASE_TYPE_REQUIRED'],
      [[{ footer: { text: 'f'.repeat(2049) } }], ['embeds', '0', 'footer', 'text'], 'BASE_TYPE_MAX_LENGTH'],
      [[{ author: { name: 'a'.repeat(257) } }], ['embeds', '0', 'author', 'name'], 'BASE_TYPE_MAX_LENGTH'],
      [[{ title: 't', image: { url: 'not a url' } }], ['embeds', '0', 'image', 'url'], 'URL_TYPE_INVALID_URL'],
      [[{ description: 'd'.repeat(4000) }, { description: 'd'.repeat(2001) }], ['embeds'], 'MAX_EMBED_SIZE_EXCEEDED'],
    ]
    for (const [embeds, path, code] of cases) {
      const reply = await send({ embeds })
      expect(reply.json.code).toBe(50035)
      const leaf = path.reduce((tree, key) => tree?.[key], reply.json.errors)
      expect(leaf?._errors?.[0]?.code).toBe(code)
    }
    // 6000 exactly is fine, counted in code points
    const fits = await send({ embeds: [{ description: '😀'.repeat(4000) }, { description: 'd'.repeat(2000) }] })
    expect(fits.status).toBe(200)
    expect(fits.json.embeds).toHaveLength(2)
  })
})

describe('replies (message_reference)', () => {
  test('a reply is type 19 with message_reference and referenced_message, and pings the author it answers', async () => {
    const asked = fake.control.postMessage({ channelId: channel(), content: 'question?' })
    const reply = await send({ content: 'answer', message_reference: { message_id: asked.id } })
    expect(reply.status).toBe(200)
    expect(reply.json).toMatchObject({
      type: 19,
      message_reference: { message_id: asked.id, channel_id: channel(), guild_id: fake.world.ids.smallGuild },
      referenced_message: { id: asked.id },
    })
    expect(reply.json.mentions.map((user: { id: string }) => user.id)).toEqual([fake.world.ids.humanUser])
    const quiet = await send({
      content: 'quiet answer',
      message_reference: { message_id: asked.id },
      allowed_mentions: { parse: [], replied_user: false },
    })
    expect(quiet.json.mentions).toEqual([])
  })

  test('a message of another channel is refused: unknown in this one, or named with its channel', async () => {
    const elsewhere = fake.control.postMessage({ channelId: fake.world.ids.generalChannel, content: 'elsewhere' })
    const unknown = await send({ content: 'hi', message_reference: { message_id: elsewhere.id } })
    expect(unknown.json).toEqual({
      message: 'Invalid Form Body',
      code: 50035,
      errors: { message_reference: { _errors: [{ code: 'REPLIES_UNKNOWN_MESSAGE', message: 'Unknown message' }] } },
    })
    const named = await send({
      content: 'hi',
      message_reference: { message_id: elsewhere.id, channel_id: fake.world.ids.generalChannel },
    })
    expect(named.json.errors.message_reference._errors[0].code).toBe('REPLIES_CANNOT_REFERENCE_OTHER_CHANNEL')
    // fail_if_not_exists false: sent as a plain message
    const plain = await send({
      content: 'plain',
      message_reference: { message_id: elsewhere.id, fail_if_not_exists: false },
    })
    expect(plain.status).toBe(200)
    expect(plain.json.type).toBe(0)
    expect(plain.json.message_reference).toBeUndefined()
  })
})
