import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Client } from 'discord.js'
import { ChannelType } from 'discord.js'
import { startFakeDiscord, type FakeDiscord } from '../../fake-discord/index.ts'
import { ALL_INTENTS, api, createClient, loginReady, UNPRIVILEGED_INTENTS } from './test-support.ts'

let fake: FakeDiscord
const clients: Client[] = []
const client = (intents = ALL_INTENTS) => {
  const created = createClient(fake, intents)
  clients.push(created)
  return created
}

beforeAll(async () => {
  fake = await startFakeDiscord({ port: 0 })
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.destroy()))
  await fake.stop()
})

describe('discord.js logs in to the fake as to Discord', () => {
  test('alpha becomes ready with its guilds, channels and roles cached', async () => {
    const alpha = await loginReady(client(), fake.tokens.alpha)
    const { ids } = fake.world
    expect(alpha.user.id).toBe(fake.world.bots.alpha.user.id)
    expect(alpha.user.bot).toBe(true)
    expect([...alpha.guilds.cache.keys()].sort()).toEqual([ids.bigGuild, ids.partialGuild, ids.smallGuild].sort())
    const big = alpha.guilds.cache.get(ids.bigGuild)
    expect(big?.memberCount).toBe(1203)
    expect(big?.large).toBe(true)
    expect(big?.channels.cache.get(ids.generalChannel)?.type).toBe(ChannelType.GuildText)
    expect(big?.channels.cache.get(ids.voiceChannel)?.type).toBe(ChannelType.GuildVoice)
    expect(big?.roles.everyone.id).toBe(ids.bigGuild)
    // permissions are computed by discord.js from the same overwrites the fake enforces
    expect(big?.channels.cache.get(ids.hiddenChannel)?.viewable).toBe(false)
    const readOnly = big?.channels.cache.get(ids.readOnlyChannel)
    expect(readOnly?.isTextBased() && readOnly.permissionsFor(alpha.user)?.has('SendMessages')).toBe(false)
    expect(alpha.application.id).toBe(fake.world.bots.alpha.applicationId)
    expect(fake.counters().identifies.alpha).toBe(1)
    expect(fake.counters().openConnections.alpha).toBe(1)
    const gatewayBot = await api(fake, fake.tokens.alpha, 'GET', '/gateway/bot')
    expect(gatewayBot.json.session_start_limit.remaining).toBe(999) // one IDENTIFY spent
  })

  test('a small guild sends all its members, a large one only the bot without presences', async () => {
    const beta = await loginReady(client([...UNPRIVILEGED_INTENTS, 2 /* GuildMembers */]), fake.tokens.beta)
    expect(beta.guilds.cache.get(fake.world.ids.smallGuild)?.members.cache.size).toBe(13)
    expect([...(beta.guilds.cache.get(fake.world.ids.bigGuild)?.members.cache.keys() ?? [])]).toEqual([
      fake.world.bots.beta.user.id,
    ])
  })

  test('solo sees exactly one guild', async () => {
    const solo = await loginReady(client(), fake.tokens.solo)
    expect([...solo.guilds.cache.keys()]).toEqual([fake.world.ids.soloGuild])
  })

  test('an unknown token rejects login with TokenInvalid (GET /gateway/bot answers 401)', async () => {
    const rejected = await client()
      .login(fake.invalidToken)
      .catch((error: Error & { code?: string }) => error)
    expect(rejected).toBeInstanceOf(Error)
    expect((rejected as Error & { code?: string }).code).toBe('TokenInvalid')
    expect((rejected as Error).message).toBe('An invalid token was provided.')
  })

  test('a reset token is refused the same way', async () => {
    const rejected = await client()
      .login(fake.tokens.revoked)
      .catch((error: Error & { code?: string }) => error)
    expect((rejected as Error & { code?: string }).code).toBe('TokenInvalid')
  })

  test('gamma asking for privileged intents is closed with 4014 and login rejects', async () => {
    const before = fake.counters().identifies.gamma ?? 0
    const rejected = await client()
      .login(fake.tokens.gamma)
      .catch((error: Error) => error)
    expect(rejected).toBeInstanceOf(Error)
    expect((rejected as Error).message).toBe('Used disallowed intents')
    expect(fake.counters().identifies.gamma ?? 0).toBe(before) // refused before a session started
  })

  test('gamma without privileged intents logs in', async () => {
    const gamma = await loginReady(client(UNPRIVILEGED_INTENTS), fake.tokens.gamma)
    expect(gamma.guilds.cache.size).toBe(3)
  })
})
