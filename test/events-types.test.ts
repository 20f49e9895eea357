import { afterAll, beforeAll, expect, test } from 'bun:test'
import { openSse, type SseReader } from './support/sse.ts'
import { startStack, type Stack } from './support/stack.ts'

let stack: Stack
let reader: SseReader
beforeAll(async () => {
  stack = await startStack()
  const { sessionId } = await stack.login(stack.discord.tokens.solo)
  reader = await openSse(stack.url, '/api/events', sessionId)
})
afterAll(async () => {
  reader.close()
  await stack.stop()
})

const next = (type: string, match: (data: any) => boolean = () => true) =>
  reader.until((r) => r.of(type).find((frame) => match(frame.data.data))?.data)

test('every Discord event type arrives in the API shape, with its guild and channel', async () => {
  const { control, world } = stack.discord
  const { soloGuild: guildId, soloGeneralChannel: channelId, humanUser, smallGuild } = world.ids
  const botId = world.bots.solo.user.id

  const posted = control.postMessage({ channelId, content: 'one' })
  expect(await next('messageCreate', (d) => d.id === posted.id)).toMatchObject({
    botId,
    guildId,
    channelId,
    data: { id: posted.id, channelId, content: 'one', author: { id: humanUser }, attachments: [], embedCount: 0 },
  })
  control.editMessage({ channelId, messageId: posted.id, content: 'two' })
  const edited = await next('messageUpdate', (d) => d.id === posted.id)
  expect(edited.data).toMatchObject({ content: 'two', editedTimestamp: expect.any(String) })

  control.addReaction({ channelId, messageId: posted.id, emoji: '👍' })
  expect(await next('messageReactionAdd', (d) => d.messageId === posted.id)).toMatchObject({
    guildId,
    channelId,
    data: { messageId: posted.id, channelId, userId: humanUser, emoji: { id: null, name: '👍', animated: false } },
  })
  control.removeReaction({ channelId, messageId: posted.id, emoji: '👍' })
  await next('messageReactionRemove', (d) => d.messageId === posted.id)

  control.deleteMessages({ channelId, messageIds: [posted.id] })
  expect((await next('messageDelete', (d) => d.id === posted.id)).data).toEqual({ id: posted.id, channelId })
  const [a, b] = ['a', 'b'].map((content) => control.postMessage({ channelId, content }))
  control.deleteMessages({ channelId, messageIds: [a?.id as string, b?.id as string] })
  expect((await next('messageDeleteBulk', (d) => d.ids.includes(a?.id))).data).toEqual({
    ids: [a?.id, b?.id],
    channelId,
  })

  control.typing({ channelId })
  expect((await next('typingStart', (d) => d.userId === humanUser)).data).toEqual({
    channelId,
    userId: humanUser,
    startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
  })

  const joined = control.addMember({ guildId, user: { username: 'newbie' } })
  expect(await next('guildMemberAdd', (d) => d.id === joined.user.id)).toMatchObject({
    guildId,
    data: { id: joined.user.id, username: 'newbie', bot: false, roles: [] },
  })
  control.updateMember({ guildId, userId: joined.user.id, nick: 'Newbie' })
  expect((await next('guildMemberUpdate', (d) => d.id === joined.user.id)).data).toMatchObject({
    displayName: 'Newbie',
  })
  control.removeMember({ guildId, userId: joined.user.id })
  expect((await next('guildMemberRemove', (d) => d.user.id === joined.user.id)).data).toEqual({
    user: { id: joined.user.id, username: 'newbie', globalName: null, avatar: null, bot: false },
  })

  const room = control.createChannel({ guildId, name: 'room', topic: 'talk' })
  expect(await next('channelCreate', (d) => d.id === room.id)).toMatchObject({
    guildId,
    channelId: room.id,
    data: { id: room.id, name: 'room', type: 'text', parentId: null, topic: 'talk', nsfw: false },
  })
  control.updateChannel({ channelId: room.id, name: 'hall' })
  expect((await next('channelUpdate', (d) => d.id === room.id)).data).toMatchObject({ name: 'hall' })
  control.deleteChannel({ channelId: room.id })
  expect((await next('channelDelete', (d) => d.id === room.id)).data).toMatchObject({ name: 'hall' })

  // the bot joining a guild is a guildCreate; the guilds it loaded at login never were
  expect(reader.of('guildCreate')).toEqual([])
  control.addMember({ guildId: smallGuild, user: botId })
  expect(await next('guildCreate', (d) => d.id === smallGuild)).toMatchObject({
    guildId: smallGuild,
    data: { id: smallGuild, name: 'Small Guild', memberCount: expect.any(Number) },
  })
  control.removeMember({ guildId: smallGuild, userId: botId })
  expect((await next('guildDelete', (d) => d.id === smallGuild)).data).toEqual({ id: smallGuild })

  // ids count up in the order Discord sent them
  const ids = reader.frames.filter((f) => f.id !== null).map((f) => Number(f.id))
  expect(ids).toEqual([...ids].sort((x, y) => x - y))
})

test('without the MessageContent intent a messageCreate has the content Discord sent: none', async () => {
  const plain = await startStack({ DISCORD_INTENTS: 'Guilds,GuildMessages' })
  try {
    const { sessionId } = await plain.login(plain.discord.tokens.solo)
    const events = await openSse(plain.url, '/api/events?types=messageCreate', sessionId)
    const channelId = plain.discord.world.ids.soloGeneralChannel
    const posted = plain.discord.control.postMessage({ channelId, content: 'secret words' })
    const frame = await events.until((r) => r.of('messageCreate').find((f) => f.data.data.id === posted.id))
    expect(frame.data.data.content).toBe('')
    events.close()
  } finally {
    await plain.stop()
  }
})
