import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Events, type Client } from 'discord.js'
import { GatewayIntentBits } from 'discord-api-types/v10'
import { startFakeDiscord, type FakeDiscord } from '../fake-discord/index.ts'
import { loggedInClient } from './support/discord-client.ts'
import { waitFor } from './support/stack.ts'

// What an idle bot keeps is bounded by the guild's structure, not by its traffic or member count: the memory a
// bot costs (docs/facts.md, "Memory per bot") must not grow with what its guilds say. Counts, never bytes.
let discord: FakeDiscord
let client: Client<true>
let seen = 0
beforeAll(async () => {
  discord = await startFakeDiscord({ port: 0 })
  // the service's default intents, presences added: small guilds then send every member and presence
  const intents =
    GatewayIntentBits.Guilds |
    GatewayIntentBits.GuildMembers |
    GatewayIntentBits.GuildPresences |
    GatewayIntentBits.GuildMessages |
    GatewayIntentBits.MessageContent |
    GatewayIntentBits.GuildMessageReactions |
    GatewayIntentBits.GuildMessageTyping
  client = await loggedInClient(discord, intents, (created) =>
    created.on(Events.MessageCreate, () => {
      seen += 1
    }),
  )
})
afterAll(async () => {
  await client?.destroy()
  await discord.stop()
})

describe("an idle bot's discord.js caches hold only what the routes read", () => {
  test('after GUILD_CREATEs with every member and 30 messages from 10 authors: guilds, channels, itself', async () => {
    const { ids } = discord.world
    const small = discord.world.guilds.get(ids.smallGuild)
    if (!small) throw new Error('the fake has no small guild')
    const authors = [...small.members.keys()].filter((id) => id !== client.user.id).slice(0, 10)
    expect(authors.length).toBe(10)
    for (let i = 0; i < 30; i++) {
      discord.control.postMessage({ channelId: ids.smallGeneralChannel, content: `m${i}`, authorId: authors[i % 10] })
    }
    await waitFor(() => seen >= 30)

    const guilds = [...client.guilds.cache.values()]
    expect(guilds.map((guild) => guild.id).sort()).toEqual(
      [...discord.world.guilds.values()]
        .filter((guild) => guild.members.has(client.user.id))
        .map((guild) => guild.id)
        .sort(),
    )
    const channelsInGuilds = guilds.reduce((sum, guild) => sum + guild.channels.cache.size, 0)
    expect(client.channels.cache.size).toBe(channelsInGuilds) // channels and guilds: what GET /api/channels lists
    expect([...client.users.cache.keys()]).toEqual([client.user.id])
    for (const guild of guilds) {
      expect([...guild.members.cache.keys()]).toEqual([client.user.id])
      expect(guild.presences.cache.size).toBe(0)
      expect(guild.emojis.cache.size + guild.stickers.cache.size + guild.voiceStates.cache.size).toBe(0)
    }
    for (const channel of client.channels.cache.values()) {
      if ('messages' in channel) expect(channel.messages.cache.size).toBe(0) // the worker's own cache has them
    }
  })
})
