import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ApplicationFlags } from 'discord-api-types/v10'
import { startFakeDiscord, type FakeDiscord } from '../../fake-discord/index.ts'
import { api } from './test-support.ts'

let fake: FakeDiscord
beforeAll(async () => {
  fake = await startFakeDiscord({ port: 0 })
})
afterAll(() => fake.stop())

describe('allowed_mentions, as Discord applies it', () => {
  const send = (body: Record<string, unknown>) =>
    api(fake, fake.tokens.alpha, 'POST', `/channels/${fake.world.ids.generalChannel}/messages`, body)

  test('without it everything named is pinged; with parse ["users"] only users are', async () => {
    const { moderatorRole, humanUser } = fake.world.ids
    const content = `@everyone <@&${moderatorRole}> <@${humanUser}>`
    const all = await send({ content })
    expect(all.status).toBe(200)
    expect(all.json).toMatchObject({ mention_everyone: true, mention_roles: [moderatorRole] })
    expect(all.json.mentions.map((user: { id: string }) => user.id)).toEqual([humanUser])
    const users = await send({ content, allowed_mentions: { parse: ['users'] } })
    expect(users.json).toMatchObject({ mention_everyone: false, mention_roles: [] })
    expect(users.json.mentions.map((user: { id: string }) => user.id)).toEqual([humanUser])
    const none = await send({ content, allowed_mentions: { parse: [] } })
    expect(none.json).toMatchObject({ mention_everyone: false, mention_roles: [], mentions: [] })
    // what was sent is recorded for tests to read
    expect(fake.world.messagesOf(fake.world.ids.generalChannel).at(-1)?.allowedMentions).toEqual({
      parse: [],
      roles: [],
      users: [],
      repliedUser: false,
    })
  })

  test('a malformed allowed_mentions is a 50035', async () => {
    for (const allowed of ['users', { parse: ['nobody'] }, { parse: ['users'], users: [fake.world.ids.humanUser] }]) {
      const reply = await send({ content: 'hi', allowed_mentions: allowed })
      expect(reply.status).toBe(400)
      expect(reply.json.code).toBe(50035)
    }
  })
})

describe('privileged intents per application', () => {
  test('setPrivilegedIntents sets the flags GET /applications/@me reports', async () => {
    fake.control.setPrivilegedIntents('beta', { members: false, presences: false, content: true })
    const app = await api(fake, fake.tokens.beta, 'GET', '/applications/@me')
    const flags = app.json.flags as number
    expect(flags & ApplicationFlags.GatewayMessageContentLimited).not.toBe(0)
    expect(flags & (ApplicationFlags.GatewayGuildMembers | ApplicationFlags.GatewayGuildMembersLimited)).toBe(0)
    expect(flags & (ApplicationFlags.GatewayPresence | ApplicationFlags.GatewayPresenceLimited)).toBe(0)
  })
})
