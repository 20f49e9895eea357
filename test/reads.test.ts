import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startStack, VIA_DISCORD, waitFor, type Stack } from './support/stack.ts'

// The whole read suite, once with the short path (fast-reads.ts) and once with FAST_READS=0: the answers are the same.
for (const FAST_READS of ['1', '0']) {
  describe(`FAST_READS=${FAST_READS}`, () => {
    let stack: Stack
    let alpha: string
    let solo: string
    let ids: Stack['discord']['world']['ids']
    beforeAll(async () => {
      stack = await startStack({ FAST_READS })
      ids = stack.discord.world.ids
      ;[alpha, solo] = await Promise.all([
        stack.login(stack.discord.tokens.alpha).then((login) => login.sessionId),
        stack.login(stack.discord.tokens.solo).then((login) => login.sessionId),
      ])
    })
    afterAll(() => stack.stop())

    /** Fields Discord leaves null when unset: null or a string, and nothing else. */
    const expectNullableStrings = (record: Record<string, unknown>, fields: string[]) => {
      for (const field of fields) expect(record[field] === null || typeof record[field] === 'string').toBe(true)
    }

    const nextCursor = (link: string | null, param: string): string | null =>
      link ? new URL(link.slice(1, link.indexOf('>')), 'http://x').searchParams.get(param) : null

    describe('GET /api/guilds', () => {
      test("lists the bot's guilds with id, name, icon and member count", async () => {
        const reply = await stack.get('/api/guilds', alpha)
        expect(reply.status).toBe(200)
        const big = reply.json.find((guild: { id: string }) => guild.id === ids.bigGuild)
        expect(big.name).toBe('Big Guild')
        expect(big.memberCount).toBeGreaterThan(1000)
        expect(reply.json.map((guild: { id: string }) => guild.id).sort()).toEqual(
          [ids.bigGuild, ids.partialGuild, ids.smallGuild].sort(),
        )
      })
    })

    describe('GET /api/channels', () => {
      test('lists the channels of the only guild the bot is in when guildId is left out', async () => {
        const reply = await stack.get('/api/channels', solo)
        expect(reply.status).toBe(200)
        const general = reply.json.find((channel: { id: string }) => channel.id === ids.soloGeneralChannel)
        expect(general).toEqual({
          id: ids.soloGeneralChannel,
          name: 'general',
          type: 'text',
          parentId: expect.any(String),
          position: expect.any(Number),
          topic: 'Solo chat',
          nsfw: false,
        })
      })

      test('without guildId for a bot in several guilds: 400 saying to pass it', async () => {
        const reply = await stack.get('/api/channels', alpha)
        expect(reply.status).toBe(400)
        expect(reply.json.error).toContain('guildId')
      })

      test('readable channel types, in position order', async () => {
        const reply = await stack.get(`/api/channels?guildId=${ids.bigGuild}`, alpha)
        expect(reply.status).toBe(200)
        const types = new Map(reply.json.map((channel: { id: string; type: string }) => [channel.id, channel.type]))
        expect(types.get(ids.categoryChannel)).toBe('category')
        expect(types.get(ids.voiceChannel)).toBe('voice')
        expect(types.get(ids.generalChannel)).toBe('text')
      })

      test("a guild the bot is not in is a 403, as Discord's 50001; a non-snowflake is a 400", async () => {
        for (const path of [`/api/channels?guildId=${ids.soloGuild}`, `/api/members?guildId=${ids.soloGuild}`]) {
          const notIn = await stack.get(path, alpha)
          expect(notIn.status).toBe(403)
          expect(notIn.json).toEqual({ error: 'Missing access: the bot is not in this guild', code: 'forbidden' })
        }
        const bad = await stack.get('/api/channels?guildId=abc', alpha)
        expect(bad.status).toBe(400)
        expect(bad.json.error).toContain('guildId')
      })
    })

    describe('GET /api/members', () => {
      test('pages through more than 1 000 members with the Link header', async () => {
        const first = await stack.get(`/api/members?guildId=${ids.bigGuild}&limit=1000`, alpha)
        expect(first.status).toBe(200)
        expect(first.json).toHaveLength(1000)
        const after = nextCursor(first.headers.get('link'), 'after')
        expect(after).toBe(first.json.at(-1).id)
        const second = await stack.get(`/api/members?guildId=${ids.bigGuild}&limit=1000&after=${after}`, alpha)
        expect(second.status).toBe(200)
        const total = stack.discord.world.guilds.get(ids.bigGuild)!.members.size
        expect(second.json).toHaveLength(total - 1000)
        expect(second.headers.get('link')).toBeNull()
        const seen = new Set([...first.json, ...second.json].map((member: { id: string }) => member.id))
        expect(seen.size).toBe(total)
      })

      test('members carry id, names, avatar, bot flag, roles and joinedAt; default limit 100', async () => {
        const reply = await stack.get(`/api/members?guildId=${ids.bigGuild}`, alpha)
        expect(reply.json).toHaveLength(100)
        const member = reply.json[0]
        expect(Object.keys(member).sort()).toEqual([
          'avatar',
          'bot',
          'displayName',
          'globalName',
          'id',
          'joinedAt',
          'roles',
          'username',
        ])
        expectNullableStrings(member, ['globalName', 'avatar'])
        expect(member).toMatchObject({
          id: expect.any(String),
          username: expect.any(String),
          displayName: expect.any(String),
        })
        expect(member).toMatchObject({
          bot: expect.any(Boolean),
          roles: expect.any(Array),
          joinedAt: expect.any(String),
        })
      })

      test('limit outside 1–1000 and a missing guildId are 400s', async () => {
        for (const query of [`guildId=${ids.bigGuild}&limit=0`, `guildId=${ids.bigGuild}&limit=1001`, 'limit=5']) {
          expect((await stack.get(`/api/members?${query}`, alpha)).status).toBe(400)
        }
      })

      test('a page that is exactly full has no next link; the Link URL is absolute', async () => {
        const total = stack.discord.world.guilds.get(ids.bigGuild)!.members.size
        const first = await stack.get(`/api/members?guildId=${ids.bigGuild}&limit=1000`, alpha)
        const link = first.headers.get('link')!
        expect(link.startsWith(`<${stack.url}/api/members?`)).toBe(true)
        const after = nextCursor(link, 'after')
        const rest = await stack.get(`/api/members?guildId=${ids.bigGuild}&limit=${total - 1000}&after=${after}`, alpha)
        expect(rest.json).toHaveLength(total - 1000)
        expect(rest.headers.get('link')).toBeNull()
        const shortOfIt = await stack.get(
          `/api/members?guildId=${ids.bigGuild}&limit=${total - 1001}&after=${after}`,
          alpha,
        )
        expect(nextCursor(shortOfIt.headers.get('link'), 'after')).toBe(shortOfIt.json.at(-1).id)
      })

      test('a page read again makes no Discord call; a member joining, changing or leaving shows in the next read', async () => {
        const restReads = () => stack.discord.counters().rest.alpha?.['GET /guilds/:id/members'] ?? 0
        const read = async () => (await stack.get(`/api/members?guildId=${ids.smallGuild}&limit=1000`, alpha)).json
        const usernames = (members: { username: string }[]) => members.map((member) => member.username)
        const named = (name: string) => (members: { username: string; displayName: string }[]) =>
          members.find((member) => member.username === name)

        const first = await read()
        const calls = restReads()
        expect(await read()).toEqual(first)
        expect(restReads()).toBe(calls)

        const joined = stack.discord.control.addMember({ guildId: ids.smallGuild, user: { username: 'newcomer' } })
        await waitFor(async () => named('newcomer')(await read()))
        stack.discord.control.updateMember({ guildId: ids.smallGuild, userId: joined.user.id, nick: 'Nicky' })
        await waitFor(async () => named('newcomer')(await read())?.displayName === 'Nicky')
        stack.discord.control.removeMember({ guildId: ids.smallGuild, userId: joined.user.id })
        const afterLeaving = await waitFor(async () => {
          const members = await read()
          return named('newcomer')(members) ? undefined : members
        })
        expect(usernames(afterLeaving)).toEqual(usernames(first))
        // once the events are in, the page is kept again (a read may still race the last event, so wait for it)
        await waitFor(async () => {
          const before = restReads()
          await read()
          return restReads() === before
        })
      })
    })

    describe('GET /api/messages', () => {
      test('newest first; above 100 the bot pages Discord with before, and the Link header continues', async () => {
        const seeded = stack.discord.world.messagesOf(ids.manyMessagesChannel)
        const first = await stack.get(`/api/messages?channelId=${ids.manyMessagesChannel}&limit=250`, alpha)
        expect(first.status).toBe(200)
        expect(first.json).toHaveLength(250)
        expect(first.json[0].id).toBe(seeded.at(-1)!.id)
        const before = nextCursor(first.headers.get('link'), 'before')
        expect(before).toBe(first.json.at(-1).id)
        const rest = await stack.get(
          `/api/messages?channelId=${ids.manyMessagesChannel}&limit=500&before=${before}`,
          alpha,
        )
        expect(rest.json).toHaveLength(seeded.length - 250)
        expect(rest.headers.get('link')).toBeNull()
        const ids_ = [...first.json, ...rest.json].map((message: { id: string }) => BigInt(message.id))
        expect(ids_.every((id, index) => index === 0 || id < ids_[index - 1]!)).toBe(true)
      })

      test('limit takes digits only: 1e2, +5, a space, 5.0 and an empty limit are 400s saying so', async () => {
        for (const limit of ['1e2', '%2B5', '+5', '%205', '5.0', '', '0x10', '501']) {
          const reply = await stack.get(`/api/messages?channelId=${ids.generalChannel}&limit=${limit}`, alpha)
          expect(reply.status).toBe(400)
          expect(reply.json.error).toBe('limit: must be an integer from 1 to 500')
        }
      })

      test('a page that is exactly full has no next link, read from Discord or from the cache', async () => {
        const count = stack.discord.world.messagesOf(ids.generalChannel).length
        for (const round of ['Discord', 'cache']) {
          const exact = await stack.get(`/api/messages?channelId=${ids.generalChannel}&limit=${count}`, alpha)
          expect({ round, length: exact.json.length, link: exact.headers.get('link') }).toEqual({
            round,
            length: count,
            link: null,
          })
        }
        const older = await stack.get(
          `/api/messages?channelId=${ids.manyMessagesChannel}&limit=100&${VIA_DISCORD}`,
          alpha,
        )
        const before = nextCursor(older.headers.get('link'), 'before')!
        const total = stack.discord.world.messagesOf(ids.manyMessagesChannel).length
        const rest = await stack.get(
          `/api/messages?channelId=${ids.manyMessagesChannel}&limit=${total - 100}&before=${before}`,
          alpha,
        )
        expect(rest.json).toHaveLength(total - 100)
        expect(rest.headers.get('link')).toBeNull()
      })

      test('messages carry author, content, timestamps, attachments and an embed count', async () => {
        const reply = await stack.get(`/api/messages?channelId=${ids.generalChannel}&limit=1`, alpha)
        const message = reply.json[0]
        // key checks first: Bun's toMatchObject writes its matchers into the object it inspects
        expect(Object.keys(message.author).sort()).toEqual(['avatar', 'bot', 'globalName', 'id', 'username'])
        expectNullableStrings(message.author, ['globalName', 'avatar'])
        expect(message).toMatchObject({
          id: expect.any(String),
          channelId: ids.generalChannel,
          author: { id: expect.any(String), username: expect.any(String), bot: expect.any(Boolean) }, // the newest may be the bot's own send
          content: expect.any(String),
          timestamp: expect.any(String),
          editedTimestamp: null,
          attachments: [],
          embedCount: 0,
        })
      })

      test('a channel the bot cannot see is a 403; an unknown one a 404', async () => {
        const hidden = await stack.get(`/api/messages?channelId=${ids.hiddenChannel}`, alpha)
        expect(hidden.status).toBe(403)
        expect(hidden.json.code).toBe('forbidden')
        const unknown = await stack.get('/api/messages?channelId=100000000000000000', alpha)
        expect(unknown.status).toBe(404)
        expect(unknown.json.error).toBe('Unknown channel')
      })
    })

    describe('POST /api/messages', () => {
      test('sends a message as the bot: 201 with the message', async () => {
        const reply = await stack.post(
          '/api/messages',
          { channelId: ids.generalChannel, content: 'hello from botvisor' },
          alpha,
        )
        expect(reply.status).toBe(201)
        expect(reply.json.content).toBe('hello from botvisor')
        const location = reply.headers.get('location')!
        expect(location.startsWith(`${stack.url}/api/messages?`)).toBe(true)
        const readBack = await stack.get(location.slice(stack.url.length), alpha)
        expect(readBack.json.map((message: { id: string }) => message.id)).toEqual([reply.json.id])
        expect(reply.json.author.id).toBe(stack.discord.world.bots.alpha.user.id)
        expect(stack.discord.world.messagesOf(ids.generalChannel).at(-1)!.content).toBe('hello from botvisor')
      })

      test('a channel where the bot may not send is a 403; bad bodies are 400s', async () => {
        const readOnly = await stack.post('/api/messages', { channelId: ids.readOnlyChannel, content: 'hi' }, alpha)
        expect(readOnly.status).toBe(403)
        expect(readOnly.json.error).toContain('Missing permissions')
        for (const body of [
          { channelId: ids.generalChannel, content: '' },
          { channelId: ids.generalChannel, content: 'x'.repeat(2001) },
          { content: 'hi' },
        ]) {
          expect((await stack.post('/api/messages', body, alpha)).status).toBe(400)
        }
      })
    })

    describe('when Discord fails', () => {
      test('Discord 5xx is a 502', async () => {
        stack.discord.control.failRest({ route: 'GET /channels/:id/messages', status: 500 })
        try {
          const reply = await stack.get(`/api/messages?channelId=${ids.generalChannel}&${VIA_DISCORD}`, alpha)
          expect(reply.status).toBe(502)
          expect(reply.json.code).toBe('discord_unavailable')
        } finally {
          stack.discord.control.clearFaults()
        }
      })

      test('a Discord rate limit longer than the deadline is a 429 with Retry-After', async () => {
        // a stack of its own: the bot's discord.js remembers the 60 s limit, which would fail the other reads
        const limited = await startStack({ FAST_READS })
        try {
          const { sessionId } = await limited.login(limited.discord.tokens.alpha)
          limited.discord.control.exhaustBucket({
            bot: 'alpha',
            route: 'GET /channels/:id/messages',
            retryAfterMs: 60_000,
          })
          const reply = await limited.get(`/api/messages?channelId=${ids.generalChannel}&${VIA_DISCORD}`, sessionId)
          expect(reply.status).toBe(429)
          expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(1)
        } finally {
          await limited.stop()
        }
      })
    })

    describe('the newest messages come from the worker, kept fresh by gateway events', () => {
      const restReads = () => stack.discord.counters().rest.alpha?.['GET /channels/:id/messages'] ?? 0
      const read = (limit: number) =>
        stack.get(`/api/messages?channelId=${ids.smallGeneralChannel}&limit=${limit}`, alpha)

      test('a repeated read of the newest messages makes no Discord call', async () => {
        const first = await read(50)
        const callsAfterFirst = restReads()
        const second = await read(20)
        expect(second.status).toBe(200)
        expect(second.json).toEqual(first.json.slice(0, 20))
        expect(restReads()).toBe(callsAfterFirst)
      })

      test('a message posted, edited and deleted on Discord shows in the next read without a Discord call', async () => {
        await read(50)
        const calls = restReads()
        const posted = stack.discord.control.postMessage({
          channelId: ids.smallGeneralChannel,
          content: 'fresh from the gateway',
        })
        const afterCreate = await waitFor(async () => {
          const reply = await read(50)
          return reply.json[0]?.id === posted.id ? reply : undefined
        })
        expect(afterCreate.json[0].content).toBe('fresh from the gateway')

        // the bot edits and deletes its own message through Discord's REST directly
        const sent = await stack.post('/api/messages', { channelId: ids.smallGeneralChannel, content: 'draft' }, alpha)
        const discordApi = `${stack.discord.apiUrl}/v10/channels/${ids.smallGeneralChannel}/messages/${sent.json.id}`
        const auth = { authorization: `Bot ${stack.discord.tokens.alpha}`, 'content-type': 'application/json' }
        await fetch(discordApi, { method: 'PATCH', headers: auth, body: JSON.stringify({ content: 'final' }) })
        await waitFor(async () => (await read(50)).json[0]?.content === 'final')
        await fetch(discordApi, { method: 'DELETE', headers: auth })
        await waitFor(async () => (await read(50)).json.every((message: { id: string }) => message.id !== sent.json.id))
        expect(restReads()).toBe(calls)
      })
    })
  })
}
