import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Client, Message, TextChannel } from 'discord.js'
import { startFakeDiscord, type FakeDiscord } from '../../fake-discord/index.ts'
import { createClient, loginReady, UNPRIVILEGED_INTENTS, waitFor } from './test-support.ts'

let fake: FakeDiscord
let alpha: Client<true>
let gamma: Client<true>
const received: { bot: string; message: Message }[] = []

beforeAll(async () => {
  fake = await startFakeDiscord({ port: 0 })
  alpha = await loginReady(createClient(fake), fake.tokens.alpha)
  gamma = await loginReady(createClient(fake, UNPRIVILEGED_INTENTS), fake.tokens.gamma)
  alpha.on('messageCreate', (message) => received.push({ bot: 'alpha', message }))
  gamma.on('messageCreate', (message) => received.push({ bot: 'gamma', message }))
})
afterAll(async () => {
  await Promise.all([alpha.destroy(), gamma.destroy()])
  await fake.stop()
})

const receivedBy = (bot: string, id: string) => received.find((r) => r.bot === bot && r.message.id === id)?.message

describe('the gateway delivers what happens', () => {
  test('a message posted through the control API reaches messageCreate, content per Message Content', async () => {
    const posted = fake.control.postMessage({ channelId: fake.world.ids.generalChannel, content: 'hello bots' })
    const seenByAlpha = await waitFor(() => receivedBy('alpha', posted.id), { what: 'alpha to see it' })
    expect(seenByAlpha.content).toBe('hello bots')
    expect(seenByAlpha.author.id).toBe(fake.world.ids.humanUser)
    expect(seenByAlpha.guildId).toBe(fake.world.ids.bigGuild)
    const seenByGamma = await waitFor(() => receivedBy('gamma', posted.id), { what: 'gamma to see it' })
    expect(seenByGamma.content).toBe('') // no Message Content intent, not mentioned
  })

  test('a mention gives the mentioned bot the content even without Message Content', async () => {
    const content = `hey <@${fake.world.bots.gamma.user.id}>`
    const posted = fake.control.postMessage({ channelId: fake.world.ids.generalChannel, content })
    expect((await waitFor(() => receivedBy('gamma', posted.id))).content).toBe(content)
  })

  test('a message sent by one bot through REST reaches the other bots in the guild', async () => {
    const channel = alpha.channels.cache.get(fake.world.ids.smallGeneralChannel) as TextChannel
    const sent = await channel.send('from alpha')
    expect(sent.author.id).toBe(alpha.user.id)
    expect(await waitFor(() => receivedBy('gamma', sent.id))).toBeDefined()
    const edits: string[] = []
    gamma.on('messageUpdate', (_old, updated) => void edits.push(updated.id))
    await sent.edit('edited by alpha')
    await waitFor(() => edits.includes(sent.id), { what: 'messageUpdate' })
    const deleted: string[] = []
    gamma.on('messageDelete', (message) => void deleted.push(message.id))
    await sent.delete()
    await waitFor(() => deleted.includes(sent.id), { what: 'messageDelete' })
  })

  test('messages in channels a bot cannot view are not dispatched to it', async () => {
    const hidden = fake.control.postMessage({
      channelId: fake.world.ids.hiddenChannel,
      content: 'mods only',
      authorId: fake.world.ids.ownerUser,
    })
    const visible = fake.control.postMessage({ channelId: fake.world.ids.generalChannel, content: 'after' })
    await waitFor(() => receivedBy('alpha', visible.id))
    expect(receivedBy('alpha', hidden.id)).toBeUndefined()
  })

  test('reactions and member joins and leaves arrive as events', async () => {
    const reactions: string[] = []
    alpha.on('messageReactionAdd', (reaction) => void reactions.push(reaction.emoji.name ?? ''))
    const channel = alpha.channels.cache.get(fake.world.ids.smallGeneralChannel) as TextChannel
    const sent = (await gamma.channels.cache.get(channel.id)?.isTextBased())
      ? await (gamma.channels.cache.get(channel.id) as TextChannel).send('react to me')
      : undefined
    await sent?.react('🎉')
    await waitFor(() => reactions.includes('🎉'), { what: 'messageReactionAdd' })

    const joined: string[] = []
    const left: string[] = []
    alpha.on('guildMemberAdd', (member) => void joined.push(member.id))
    alpha.on('guildMemberRemove', (member) => void left.push(member.id))
    const member = fake.control.addMember({ guildId: fake.world.ids.smallGuild, user: { username: 'newbie' } })
    await waitFor(() => joined.includes(member.user.id), { what: 'guildMemberAdd' })
    expect(alpha.guilds.cache.get(fake.world.ids.smallGuild)?.memberCount).toBe(14)
    fake.control.removeMember({ guildId: fake.world.ids.smallGuild, userId: member.user.id })
    await waitFor(() => left.includes(member.user.id), { what: 'guildMemberRemove' })
  })
})

describe('gateway faults', () => {
  test('a 4000 close is resumed without a new IDENTIFY, and missed messages are replayed', async () => {
    const before = fake.counters()
    const reconnecting = new Promise<void>((resolve) => alpha.once('shardReconnecting', () => resolve()))
    expect(fake.control.closeGateway('alpha', 4000)).toBe(1)
    await reconnecting
    const missed = fake.control.postMessage({ channelId: fake.world.ids.generalChannel, content: 'while away' })
    await waitFor(() => (fake.counters().resumes.alpha ?? 0) > (before.resumes.alpha ?? 0), { what: 'a RESUME' })
    const after = fake.counters()
    expect(after.identifies.alpha).toBe(before.identifies.alpha)
    expect(after.resumes.alpha).toBe((before.resumes.alpha ?? 0) + 1)
    expect((await waitFor(() => receivedBy('alpha', missed.id))).content).toBe('while away')
    expect(after.openConnections.alpha).toBe(1)
  })

  test('a forced 429 is waited out by the REST queue and the call then succeeds', async () => {
    const before = fake.counters().rateLimited429
    const channel = alpha.channels.cache.get(fake.world.ids.generalChannel) as TextChannel
    fake.control.exhaustBucket({ bot: 'alpha', route: 'GET /channels/:id/messages', retryAfterMs: 300 })
    const limited: number[] = []
    alpha.rest.on('rateLimited', (info) => void limited.push(info.retryAfter))
    const page = await channel.messages.fetch({ limit: 5 })
    expect(page.size).toBe(5)
    expect(fake.counters().rateLimited429).toBe(before + 1)
    expect(limited.length).toBeGreaterThan(0)
  })

  test('revoking a live token closes its connection with 4004 and discord.js gives up on the shard', async () => {
    const solo = await loginReady(createClient(fake), fake.tokens.solo)
    const codes: number[] = []
    const errors: string[] = []
    solo.on('shardDisconnect', (event) => void codes.push(event.code))
    solo.on('shardError', (error) => void errors.push(error.message))
    fake.control.revokeToken('solo')
    await waitFor(() => codes.length > 0, { what: 'shardDisconnect' })
    expect(codes).toEqual([4004])
    expect(errors).toContain('Authentication failed')
    const rest = await solo.rest.get('/users/@me').catch((error: { status?: number }) => error.status)
    expect(rest).toBe(401)
    await solo.destroy()
  })
})
