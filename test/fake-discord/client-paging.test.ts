import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Client, Message, TextChannel } from 'discord.js'
import { startFakeDiscord, type FakeDiscord } from '../../fake-discord/index.ts'
import { createClient, loginReady } from './test-support.ts'

let fake: FakeDiscord
let alpha: Client<true>

beforeAll(async () => {
  fake = await startFakeDiscord({ port: 0 })
  alpha = await loginReady(createClient(fake), fake.tokens.alpha)
})
afterAll(async () => {
  await alpha.destroy()
  await fake.stop()
})

describe('discord.js pages through the fake', () => {
  test('guild.members.list pages past 1000 members over REST', async () => {
    const guild = alpha.guilds.cache.get(fake.world.ids.bigGuild)
    if (!guild) throw new Error('big guild not cached')
    const first = await guild.members.list({ limit: 1000 })
    expect(first.size).toBe(1000)
    const second = await guild.members.list({ limit: 1000, after: first.lastKey() })
    expect(second.size).toBe(203)
    expect([...first.keys(), ...second.keys()].length).toBe(new Set([...first.keys(), ...second.keys()]).size)
    expect(fake.counters().rest.alpha?.['GET /guilds/:id/members']).toBe(2)
  })

  test('guild.members.fetch() gets every member in GUILD_MEMBERS_CHUNKs over the gateway', async () => {
    const guild = alpha.guilds.cache.get(fake.world.ids.bigGuild)
    if (!guild) throw new Error('big guild not cached')
    const chunks: number[] = []
    alpha.on('guildMembersChunk', (members) => chunks.push(members.size))
    const members = await guild.members.fetch()
    expect(members.size).toBe(1203)
    expect(chunks).toEqual([1000, 203])
    const byQuery = await guild.members.fetch({ query: 'quiet', limit: 5 })
    expect(byQuery.size).toBeGreaterThan(0)
    expect(byQuery.every((m) => m.user.username.startsWith('quiet') || m.nickname?.startsWith('quiet'))).toBe(true)
  })

  test('channel.messages.fetch({ limit: 100, before }) pages through more than 250 messages', async () => {
    const channel = (await alpha.channels.fetch(fake.world.ids.manyMessagesChannel)) as TextChannel
    const seen: Message[] = []
    let before: string | undefined
    for (;;) {
      const page = await channel.messages.fetch({ limit: 100, ...(before ? { before } : {}) })
      seen.push(...page.values())
      if (page.size < 100) break
      before = page.lastKey()
    }
    expect(seen.length).toBe(fake.world.messagesOf(channel.id).length)
    expect(seen.length).toBeGreaterThan(250)
    expect(seen[0]?.content).not.toBe('') // alpha has Message Content
    expect(seen.map((m) => m.id)).toEqual(
      fake.world
        .messagesOf(channel.id)
        .map((m) => m.id)
        .reverse(),
    )
  })

  test('fetching a channel the bot cannot see rejects with DiscordAPIError 50001', async () => {
    // force: the channel is cached from GUILD_CREATE, which lists channels the bot cannot view
    const error = await alpha.channels.fetch(fake.world.ids.hiddenChannel, { force: true }).then(
      () => null,
      (e: { name: string; code: number; status: number; message: string }) => e,
    )
    expect(error && { name: error.name, code: error.code, status: error.status, message: error.message }).toEqual({
      name: 'DiscordAPIError[50001]',
      code: 50001,
      status: 403,
      message: 'Missing Access',
    })
  })
})
