import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Events, type Client } from 'discord.js'
import { GatewayIntentBits } from 'discord-api-types/v10'
import { startFakeDiscord, type FakeDiscord } from '../fake-discord/index.ts'
import { skipMessageStructures } from '../workers/message-structures.ts'
import { loggedInClient } from './support/discord-client.ts'
import { waitFor } from './support/stack.ts'

// A worker reads MESSAGE_CREATE raw (its message cache, the forwarded events); discord.js's Message built from
// each one was CPU spent per send for nothing (README, Performance). The raw dispatch must still arrive.
let discord: FakeDiscord
let client: Client<true>
const raw: string[] = []
let built = 0
beforeAll(async () => {
  discord = await startFakeDiscord({ port: 0 })
  const intents = GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages | GatewayIntentBits.MessageContent
  client = await loggedInClient(discord, intents, (created) => {
    skipMessageStructures(created)
    created.on(Events.MessageCreate, () => {
      built += 1
    })
    // 'raw' is missing from discord.js's ClientEvents typings
    ;(created as unknown as NodeJS.EventEmitter).on(Events.Raw, (packet: { t?: string; d?: { content?: string } }) => {
      if (packet.t === 'MESSAGE_CREATE') raw.push(packet.d?.content ?? '')
    })
  })
})
afterAll(async () => {
  await client?.destroy()
  await discord.stop()
})

test('MESSAGE_CREATE reaches the raw listeners whole, and discord.js builds no Message from it', async () => {
  const { ids } = discord.world
  for (let i = 0; i < 5; i++) discord.control.postMessage({ channelId: ids.smallGeneralChannel, content: `m${i}` })
  await waitFor(() => raw.length >= 5)
  expect(raw).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
  expect(built).toBe(0)
})
