import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ApplicationFlags } from 'discord-api-types/v10'
import { startFakeDiscord, type FakeDiscord } from '../../fake-discord/index.ts'
import { DISCORD_EPOCH_MS, timestampOf } from '../../fake-discord/snowflake.ts'
import { api } from './test-support.ts'
import { userIdOfToken } from '../../fake-discord/tokens.ts'
import { createWorld } from '../../fake-discord/world/seed.ts'

let fake: FakeDiscord
beforeAll(async () => {
  fake = await startFakeDiscord({ port: 0 })
})
afterAll(() => fake.stop())

describe('the seeded world', () => {
  test('is the same for the same seed and different for another', () => {
    expect(createWorld(7).ids).toEqual(createWorld(7).ids)
    expect(createWorld(7).bots.alpha.token).toBe(createWorld(7).bots.alpha.token)
    expect(createWorld(8).ids.bigGuild).not.toBe(createWorld(7).ids.bigGuild)
  })

  test('snowflakes carry real timestamps since the Discord epoch', () => {
    const at = timestampOf(fake.world.ids.bigGuild)
    expect(at).toBeGreaterThan(DISCORD_EPOCH_MS)
    expect(at).toBeLessThan(Date.now())
    const ids = fake.world.messagesOf(fake.world.ids.manyMessagesChannel).map((m) => BigInt(m.id))
    expect(ids.length).toBeGreaterThan(250)
    expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0n))).toBe(true)
  })

  test('tokens are shaped like Discord bot tokens and name their bot user', () => {
    for (const name of ['alpha', 'beta', 'gamma', 'solo'] as const) {
      const token = fake.tokens[name]
      expect(token).toMatch(/^[\w-]{20,}\.[\w-]{6}\.[\w-]{27,}$/)
      expect(userIdOfToken(token)).toBe(fake.world.bots[name].user.id)
    }
    expect(userIdOfToken(fake.invalidToken)).not.toBeNull()
  })

  test('the big guild has more than 1000 members and solo is in exactly one guild', () => {
    expect(fake.world.guilds.get(fake.world.ids.bigGuild)?.members.size).toBeGreaterThan(1000)
    const soloId = fake.world.bots.solo.user.id
    expect([...fake.world.guilds.values()].filter((g) => g.members.has(soloId)).map((g) => g.id)).toEqual([
      fake.world.ids.soloGuild,
    ])
  })
})

describe('REST shapes', () => {
  test('GET /gateway/bot points at the fake gateway with a session start limit', async () => {
    const reply = await api(fake, fake.tokens.alpha, 'GET', '/gateway/bot')
    expect(reply.status).toBe(200)
    expect(reply.json).toMatchObject({
      url: fake.gatewayUrl,
      shards: 1,
      session_start_limit: { total: 1000, max_concurrency: 1 },
    })
  })

  test('GET /users/@me is the bot user and /applications/@me reports intents as flags', async () => {
    const me = await api(fake, fake.tokens.alpha, 'GET', '/users/@me')
    expect(me.json).toMatchObject({
      id: fake.world.bots.alpha.user.id,
      bot: true,
      discriminator: '0',
      global_name: null,
    })
    const alphaApp = await api(fake, fake.tokens.alpha, 'GET', '/applications/@me')
    expect(alphaApp.json.flags & ApplicationFlags.GatewayGuildMembersLimited).toBeTruthy()
    expect(alphaApp.json.flags & ApplicationFlags.GatewayMessageContentLimited).toBeTruthy()
    const gammaApp = await api(fake, fake.tokens.gamma, 'GET', '/applications/@me')
    expect(
      gammaApp.json.flags &
        (ApplicationFlags.GatewayGuildMembersLimited |
          ApplicationFlags.GatewayPresenceLimited |
          ApplicationFlags.GatewayMessageContentLimited),
    ).toBe(0)
  })

  test('GET /users/@me/guilds lists partial guilds and pages with after/limit', async () => {
    const all = await api(fake, fake.tokens.alpha, 'GET', '/users/@me/guilds')
    expect(all.json.map((g: { id: string }) => g.id).sort()).toEqual(
      [fake.world.ids.bigGuild, fake.world.ids.partialGuild, fake.world.ids.smallGuild].sort(),
    )
    expect(all.json[0]).toMatchObject({
      id: expect.any(String),
      name: expect.any(String),
      owner: false,
      permissions: expect.stringMatching(/^\d+$/),
      features: [],
    })
    const first = await api(fake, fake.tokens.alpha, 'GET', '/users/@me/guilds?limit=1')
    const rest = await api(fake, fake.tokens.alpha, 'GET', `/users/@me/guilds?after=${first.json[0].id}`)
    expect([...first.json, ...rest.json]).toEqual(all.json)
    const beta = await api(fake, fake.tokens.beta, 'GET', '/users/@me/guilds')
    expect(beta.json).toHaveLength(2)
  })

  test('GET /guilds/:id with_counts gives approximate counts; channels and roles as Discord shapes them', async () => {
    const { ids } = fake.world
    const guild = await api(fake, fake.tokens.alpha, 'GET', `/guilds/${ids.bigGuild}?with_counts=true`)
    expect(guild.json).toMatchObject({
      id: ids.bigGuild,
      name: 'Big Guild',
      approximate_member_count: 1203,
      approximate_presence_count: expect.any(Number),
      roles: expect.any(Array),
      features: [],
    })
    const roles = await api(fake, fake.tokens.alpha, 'GET', `/guilds/${ids.bigGuild}/roles`)
    expect(roles.json.find((r: { id: string }) => r.id === ids.bigGuild)).toMatchObject({
      name: '@everyone',
      position: 0,
      permissions: expect.stringMatching(/^\d+$/),
    })
    const channels = await api(fake, fake.tokens.alpha, 'GET', `/guilds/${ids.bigGuild}/channels`)
    const hidden = channels.json.find((c: { id: string }) => c.id === ids.hiddenChannel)
    expect(hidden).toMatchObject({
      type: 0,
      guild_id: ids.bigGuild,
      parent_id: ids.categoryChannel,
      permission_overwrites: expect.arrayContaining([{ id: ids.bigGuild, type: 0, allow: '0', deny: '1024' }]),
    })
    expect(channels.json.find((c: { id: string }) => c.id === ids.voiceChannel)).toMatchObject({ type: 2 })
  })

  test('GET /guilds/:id/members pages by user id past 1000 members', async () => {
    const { ids } = fake.world
    const first = await api(fake, fake.tokens.alpha, 'GET', `/guilds/${ids.bigGuild}/members?limit=1000`)
    expect(first.json).toHaveLength(1000)
    expect(first.json[0]).toMatchObject({
      user: { id: expect.any(String), username: expect.any(String) },
      roles: expect.any(Array),
      joined_at: expect.any(String),
      deaf: false,
      mute: false,
    })
    const last = first.json.at(-1).user.id
    const second = await api(fake, fake.tokens.alpha, 'GET', `/guilds/${ids.bigGuild}/members?limit=1000&after=${last}`)
    expect(second.json).toHaveLength(203)
    const one = await api(fake, fake.tokens.alpha, 'GET', `/guilds/${ids.bigGuild}/members`)
    expect(one.json).toHaveLength(1) // Discord's default limit is 1
    const member = await api(fake, fake.tokens.alpha, 'GET', `/guilds/${ids.bigGuild}/members/${ids.humanUser}`)
    expect(member.json.user.id).toBe(ids.humanUser)
  })

  test('GET /channels/:id/messages pages newest first with before, after and around', async () => {
    const channel = fake.world.ids.manyMessagesChannel
    const seen: string[] = []
    let before = ''
    for (;;) {
      const page = await api(fake, fake.tokens.alpha, 'GET', `/channels/${channel}/messages?limit=100${before}`)
      seen.push(...page.json.map((m: { id: string }) => m.id))
      if (page.json.length < 100) break
      before = `&before=${page.json.at(-1).id}`
    }
    const expected = fake.world
      .messagesOf(channel)
      .map((m) => m.id)
      .reverse()
    expect(seen).toEqual(expected)
    const [newest, , third] = expected
    const after = await api(fake, fake.tokens.alpha, 'GET', `/channels/${channel}/messages?after=${third}`)
    expect(after.json.map((m: { id: string }) => m.id)).toEqual(expected.slice(0, 2))
    const around = await api(fake, fake.tokens.alpha, 'GET', `/channels/${channel}/messages?around=${third}&limit=3`)
    expect(around.json.map((m: { id: string }) => m.id)).toContain(third)
    const single = await api(fake, fake.tokens.alpha, 'GET', `/channels/${channel}/messages/${newest}`)
    expect(single.json).toMatchObject({
      id: newest,
      channel_id: channel,
      type: 0,
      attachments: [],
      embeds: [],
      mentions: [],
      edited_timestamp: null,
      author: { id: expect.any(String) },
      timestamp: expect.any(String),
    })
  })

  test("without the Message Content flag the app reads other users' messages without content", async () => {
    const channel = fake.world.ids.manyMessagesChannel
    const reply = await api(fake, fake.tokens.gamma, 'GET', `/channels/${channel}/messages?limit=5`)
    expect(reply.json.every((m: { content: string }) => m.content === '')).toBe(true)
  })

  test('a bot posts, edits, reacts to and deletes its own message', async () => {
    const channel = fake.world.ids.generalChannel
    const posted = await api(fake, fake.tokens.alpha, 'POST', `/channels/${channel}/messages`, {
      content: 'hello',
      embeds: [{ title: 'card' }],
      nonce: '42',
    })
    expect(posted.status).toBe(200)
    expect(posted.json).toMatchObject({
      content: 'hello',
      nonce: '42',
      embeds: [{ type: 'rich', title: 'card' }],
      author: { id: fake.world.bots.alpha.user.id, bot: true },
    })
    const base = `/channels/${channel}/messages/${posted.json.id}`
    const edited = await api(fake, fake.tokens.alpha, 'PATCH', base, { content: 'hello again' })
    expect(edited.json).toMatchObject({ content: 'hello again', edited_timestamp: expect.any(String) })
    const emoji = encodeURIComponent('👍')
    expect((await api(fake, fake.tokens.alpha, 'PUT', `${base}/reactions/${emoji}/@me`)).status).toBe(204)
    const reacted = await api(fake, fake.tokens.alpha, 'GET', base)
    expect(reacted.json.reactions).toEqual([
      expect.objectContaining({ count: 1, me: true, emoji: { id: null, name: '👍' } }),
    ])
    expect((await api(fake, fake.tokens.alpha, 'DELETE', `${base}/reactions/${emoji}/@me`)).status).toBe(204)
    expect((await api(fake, fake.tokens.alpha, 'POST', `/channels/${channel}/typing`)).status).toBe(204)
    expect((await api(fake, fake.tokens.alpha, 'DELETE', base)).status).toBe(204)
    expect((await api(fake, fake.tokens.alpha, 'GET', base)).json.code).toBe(10008)
  })

  test('every answer carries the rate-limit headers, errors included', async () => {
    const { ids } = fake.world
    const replies = await Promise.all([
      api(fake, fake.tokens.beta, 'GET', '/users/@me'),
      api(fake, fake.tokens.beta, 'GET', `/channels/${ids.hiddenChannel}`),
      api(fake, fake.tokens.beta, 'GET', '/not/a/route'),
      api(fake, null, 'GET', '/users/@me'),
    ])
    for (const reply of replies) {
      for (const header of [
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'X-RateLimit-Reset-After',
        'X-RateLimit-Bucket',
      ]) {
        expect(reply.headers.get(header)).not.toBeNull()
      }
    }
    expect(Number(replies[0]?.headers.get('X-RateLimit-Reset'))).toBeGreaterThan(Date.now() / 1000 - 1)
  })
})
