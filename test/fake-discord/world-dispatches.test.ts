import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { GatewayIntentBits, type Client } from 'discord.js'
import type { GatewayDispatchPayload } from 'discord-api-types/v10'
import { startFakeDiscord, type FakeDiscord } from '../../fake-discord/index.ts'
import { ALL_INTENTS, createClient, loginReady, UNPRIVILEGED_INTENTS, waitFor } from './test-support.ts'

let fake: FakeDiscord
let alpha: Client<true> // every intent, typing included
let gamma: Client<true> // no GuildMembers, no typing
const dispatches: { bot: string; packet: GatewayDispatchPayload }[] = []

beforeAll(async () => {
  fake = await startFakeDiscord({ port: 0 })
  alpha = await loginReady(
    createClient(fake, [...ALL_INTENTS, GatewayIntentBits.GuildMessageTyping]),
    fake.tokens.alpha,
  )
  gamma = await loginReady(createClient(fake, UNPRIVILEGED_INTENTS), fake.tokens.gamma)
  for (const [bot, client] of [
    ['alpha', alpha],
    ['gamma', gamma],
  ] as const) {
    ;(client as unknown as NodeJS.EventEmitter).on('raw', (packet: GatewayDispatchPayload) =>
      dispatches.push({ bot, packet }),
    )
  }
})
afterAll(async () => {
  await Promise.all([alpha.destroy(), gamma.destroy()])
  await fake.stop()
})

const seen = (bot: string, type: string, match: (d: any) => boolean = () => true) =>
  waitFor(() => dispatches.find((x) => x.bot === bot && x.packet.t === type && match(x.packet.d))?.packet, {
    what: `${bot} to get ${type}`,
  })
const count = (bot: string, type: string) => dispatches.filter((x) => x.bot === bot && x.packet.t === type).length

describe('the control levers cause the dispatches Discord sends', () => {
  test('editMessage: MESSAGE_UPDATE with the new content and edited_timestamp', async () => {
    const { generalChannel } = fake.world.ids
    const posted = fake.control.postMessage({ channelId: generalChannel, content: 'first' })
    fake.control.editMessage({ channelId: generalChannel, messageId: posted.id, content: 'second' })
    const update = await seen('alpha', 'MESSAGE_UPDATE', (d) => d.id === posted.id)
    expect(update.d).toMatchObject({ id: posted.id, content: 'second', channel_id: generalChannel })
    expect(typeof (update.d as { edited_timestamp: string }).edited_timestamp).toBe('string')
  })

  test('deleteMessages: one id is MESSAGE_DELETE, several are one MESSAGE_DELETE_BULK; the messages are gone', async () => {
    const { generalChannel, bigGuild } = fake.world.ids
    const [a, b, c] = ['a', 'b', 'c'].map((content) => fake.control.postMessage({ channelId: generalChannel, content }))
    fake.control.deleteMessages({ channelId: generalChannel, messageIds: [a?.id as string] })
    fake.control.deleteMessages({ channelId: generalChannel, messageIds: [b?.id as string, c?.id as string] })
    expect((await seen('alpha', 'MESSAGE_DELETE', (d) => d.id === a?.id)).d).toEqual({
      id: a?.id as string,
      channel_id: generalChannel,
      guild_id: bigGuild,
    })
    expect((await seen('alpha', 'MESSAGE_DELETE_BULK', (d) => d.ids.includes(b?.id))).d).toEqual({
      ids: [b?.id as string, c?.id as string],
      channel_id: generalChannel,
      guild_id: bigGuild,
    })
    const left = fake.world.messagesOf(generalChannel).map((m) => m.id)
    for (const gone of [a, b, c]) expect(left).not.toContain(gone?.id as string)
  })

  test('createChannel, updateChannel, deleteChannel: CHANNEL_CREATE / _UPDATE / _DELETE with the channel object', async () => {
    const { bigGuild } = fake.world.ids
    const created = fake.control.createChannel({ guildId: bigGuild, name: 'new-room', topic: 'fresh' })
    expect((await seen('gamma', 'CHANNEL_CREATE', (d) => d.id === created.id)).d).toMatchObject({
      id: created.id,
      guild_id: bigGuild,
      name: 'new-room',
      type: 0,
      topic: 'fresh',
    })
    fake.control.updateChannel({ channelId: created.id, name: 'renamed' })
    expect((await seen('alpha', 'CHANNEL_UPDATE', (d) => d.id === created.id)).d).toMatchObject({ name: 'renamed' })
    fake.control.deleteChannel({ channelId: created.id })
    expect((await seen('alpha', 'CHANNEL_DELETE', (d) => d.id === created.id)).d).toMatchObject({ name: 'renamed' })
    expect(fake.world.channels.has(created.id)).toBe(false)
    // discord.js keeps its cache by these dispatches, as it does against Discord
    await waitFor(() => !alpha.channels.cache.has(created.id))
  })

  test('updateMember: GUILD_MEMBER_UPDATE only with GuildMembers (or to the member itself)', async () => {
    const { bigGuild, humanUser } = fake.world.ids
    fake.control.updateMember({ guildId: bigGuild, userId: humanUser, nick: 'Nicky' })
    const update = await seen('alpha', 'GUILD_MEMBER_UPDATE', (d) => d.user.id === humanUser)
    expect(update.d).toMatchObject({ guild_id: bigGuild, nick: 'Nicky', user: { id: humanUser } })
    fake.control.updateMember({ guildId: bigGuild, userId: fake.world.bots.gamma.user.id, nick: 'Gam' })
    await seen('gamma', 'GUILD_MEMBER_UPDATE', (d) => d.user.id === fake.world.bots.gamma.user.id)
    expect(
      dispatches.some(
        (x) => x.bot === 'gamma' && x.packet.t === 'GUILD_MEMBER_UPDATE' && x.packet.d.user.id === humanUser,
      ),
    ).toBe(false)
  })

  test('typing: TYPING_START in unix seconds, only with GuildMessageTyping', async () => {
    const { generalChannel, humanUser } = fake.world.ids
    const before = count('gamma', 'TYPING_START')
    fake.control.typing({ channelId: generalChannel })
    const typing = await seen('alpha', 'TYPING_START', (d) => d.user_id === humanUser)
    expect(typing.d).toMatchObject({
      channel_id: generalChannel,
      user_id: humanUser,
      member: { user: { id: humanUser } },
    })
    expect(Math.abs((typing.d as { timestamp: number }).timestamp - Date.now() / 1000)).toBeLessThan(3600)
    // a message after it: had gamma been sent the typing, it would be in before the message
    const after = fake.control.postMessage({ channelId: generalChannel, content: 'x' })
    await seen('gamma', 'MESSAGE_CREATE', (d) => d.id === after.id)
    expect(count('gamma', 'TYPING_START')).toBe(before)
  })

  test('addReaction and removeReaction by a user: MESSAGE_REACTION_ADD / _REMOVE', async () => {
    const { generalChannel, humanUser } = fake.world.ids
    const posted = fake.control.postMessage({ channelId: generalChannel, content: 'react to me' })
    fake.control.addReaction({ channelId: generalChannel, messageId: posted.id, emoji: '👍' })
    expect((await seen('alpha', 'MESSAGE_REACTION_ADD', (d) => d.message_id === posted.id)).d).toMatchObject({
      user_id: humanUser,
      emoji: { name: '👍', id: null },
    })
    fake.control.removeReaction({ channelId: generalChannel, messageId: posted.id, emoji: '👍' })
    await seen('alpha', 'MESSAGE_REACTION_REMOVE', (d) => d.message_id === posted.id)
  })

  test('a removed bot gets GUILD_DELETE without unavailable', async () => {
    const { smallGuild } = fake.world.ids
    fake.control.removeMember({ guildId: smallGuild, userId: fake.world.bots.gamma.user.id })
    expect((await seen('gamma', 'GUILD_DELETE', (d) => d.id === smallGuild)).d).toEqual({ id: smallGuild })
  })
})

test('the same levers over the control API (HTTP), a bad body 400', async () => {
  const { generalChannel, bigGuild } = fake.world.ids
  const control = (path: string, body: unknown) =>
    fetch(`${fake.url}/_control/${path}`, { method: 'POST', body: JSON.stringify(body) })
  const posted = fake.control.postMessage({ channelId: generalChannel, content: 'over http' })
  expect(
    (await control('messages/edit', { channelId: generalChannel, messageId: posted.id, content: 'edited' })).status,
  ).toBe(200)
  await seen('alpha', 'MESSAGE_UPDATE', (d) => d.id === posted.id && d.content === 'edited')
  expect((await control('reactions', { channelId: generalChannel, messageId: posted.id, emoji: '🎉' })).status).toBe(
    200,
  )
  await seen('alpha', 'MESSAGE_REACTION_ADD', (d) => d.message_id === posted.id && d.emoji.name === '🎉')
  expect((await control('typing', { channelId: generalChannel })).status).toBe(200)
  const created = await control('channels', { guildId: bigGuild, name: 'via-http' })
  const channel = (await created.json()) as { id: string }
  await seen('alpha', 'CHANNEL_CREATE', (d) => d.id === channel.id)
  expect((await control('channels/delete', { channelId: channel.id })).status).toBe(200)
  expect((await control('messages/delete', { channelId: generalChannel, messageIds: [posted.id] })).status).toBe(200)
  await seen('alpha', 'MESSAGE_DELETE', (d) => d.id === posted.id)
  expect((await control('messages/delete', { channelId: generalChannel, messageIds: [] })).status).toBe(400)
  expect((await control('typing', { channelId: '1' })).status).toBe(400) // unknown channel
})
