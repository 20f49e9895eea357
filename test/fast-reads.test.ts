import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Service } from '../src/service.ts'
import { expectDocumented } from './support/openapi-check.ts'
import { answeredSince, startBeside, startStack, type Stack } from './support/stack.ts'

// One fake Discord, two services on it: the stack's with the short path on (the default), and one with FAST_READS=0.
let stack: Stack
let slow: Service
let sessionId: string
let slowSessionId: string
beforeAll(async () => {
  stack = await startStack()
  sessionId = (await stack.login(stack.discord.tokens.alpha)).sessionId
  ;({ service: slow, sessionId: slowSessionId } = await startBeside(
    stack,
    { FAST_READS: '0' },
    stack.discord.tokens.alpha,
  ))
})
afterAll(async () => {
  await slow.stop()
  await stack.stop()
})

const headerSet = (headers: Headers, origin: string) =>
  [...headers.entries()]
    // framing differs by design: a large body answered after an await leaves chunked (src/http/after-await-body.ts)
    .filter(([name]) => !['date', 'content-length', 'transfer-encoding'].includes(name))
    .map(([name, value]) => [name, value.replaceAll(origin, '<origin>')])
    .sort()
const answeredBy = (before: number) => answeredSince(stack, before)

describe('the short path answers the hottest cached reads, exactly as the full app would', () => {
  test('cached guild, channel, newest-message and member reads are answered by the short path; anything else by the app', async () => {
    const { bigGuild, manyMessagesChannel } = stack.discord.world.ids
    const newest = `/api/messages?channelId=${manyMessagesChannel}&limit=20`
    const members = `/api/members?guildId=${bigGuild}&limit=1000`
    // the gateway keeps these after a first read
    for (const path of [newest, members, `${members}&after=${bigGuild}`]) await stack.get(path, sessionId)
    for (const path of [
      '/api/guilds',
      `/api/channels?guildId=${bigGuild}`,
      newest,
      members,
      `${members}&after=${bigGuild}`,
    ]) {
      const before = stack.logs.length
      expect((await stack.get(path, sessionId)).status).toBe(200)
      expect(answeredBy(before)).toEqual(['short'])
      // a parameter the short path does not know sends the same read through the app
      const viaApp = stack.logs.length
      expect((await stack.get(`${path}${path.includes('?') ? '&' : '?'}full=1`, sessionId)).status).toBe(200)
      expect(answeredBy(viaApp)).toEqual(['app'])
    }
  })

  test('errors and rule breaks always come from the app', async () => {
    const before = stack.logs.length
    expect((await stack.get('/api/guilds', 'x'.repeat(32))).status).toBe(401)
    expect((await stack.get(`/api/channels?guildId=${stack.discord.world.ids.soloGuild}`, sessionId)).status).toBe(403)
    expect(
      (await stack.get(`/api/messages?channelId=${stack.discord.world.ids.manyMessagesChannel}&limit=1e2`, sessionId))
        .status,
    ).toBe(400)
    expect(answeredBy(before)).toEqual(['app', 'app', 'app'])
  })

  test('the read suite gives the same statuses, bodies and headers with FAST_READS on and off', async () => {
    const { bigGuild, soloGuild, manyMessagesChannel, generalChannel, hiddenChannel } = stack.discord.world.ids
    const reads = [
      '/api/guilds',
      '/api/guilds/',
      `/api/channels?guildId=${bigGuild}`,
      `/api/channels?guildId=${soloGuild}`,
      '/api/channels',
      '/api/channels?guildId=abc',
      `/api/messages?channelId=${manyMessagesChannel}&limit=20`,
      `/api/messages?channelId=${manyMessagesChannel}&limit=250`,
      `/api/messages?channelId=${manyMessagesChannel}`,
      `/api/messages?channelId=${generalChannel}&limit=1`,
      `/api/messages?channelId=${hiddenChannel}`,
      `/api/messages?channelId=${manyMessagesChannel}&limit=`,
      `/api/messages?channelId=${manyMessagesChannel}&limit=+5`,
      `/api/members?guildId=${bigGuild}&limit=10`,
      `/api/members?guildId=${bigGuild}&limit=1000`,
      `/api/members?guildId=${bigGuild}&limit=1000&after=${bigGuild}`,
      `/api/members?guildId=${bigGuild}&limit=0`,
      `/api/members?guildId=${soloGuild}`,
    ]
    const get = async (service: { url: string }, session: string, path: string) => {
      const res = await fetch(service.url + path, { headers: { authorization: session } })
      const text = await res.text()
      await expectDocumented(service.url, 'GET', path, res, text)
      return { status: res.status, text, headers: headerSet(res.headers, service.url) }
    }
    // twice: the first read of the newest messages fills the caches, the second is the short path's
    for (const round of [1, 2]) {
      for (const path of reads) {
        const [fast, full] = [await get(stack.service, sessionId, path), await get(slow, slowSessionId, path)]
        expect({ round, path, ...fast }).toEqual({ round, path, ...full })
      }
    }
  })

  test('every request is logged and counted alike on both paths', async () => {
    const before = stack.logs.length
    await stack.get('/api/guilds', sessionId)
    await stack.get('/api/guilds?full=1', sessionId)
    const lines = stack.logs
      .slice(before)
      .map((line) => JSON.parse(line))
      .filter((line) => line.msg === 'request')
    expect(lines.map((line) => line.via)).toEqual(['short', 'app'])
    const keys = (line: Record<string, unknown>) =>
      Object.keys(line)
        .filter((key) => key !== 'time')
        .sort()
    expect(keys(lines[0])).toEqual(keys(lines[1]))
    expect(lines[0]).toMatchObject({
      method: 'GET',
      route: '/api/guilds',
      status: 200,
      session: `${sessionId.slice(0, 6)}…`,
    })
    const metrics = await stack.request('GET', '/metrics', {
      headers: { authorization: `Bearer ${stack.service.adminToken}` },
    })
    expect(metrics.text).toMatch(
      /botvisor_http_requests_total\{method="GET",route="\/api\/guilds",status="200"\} [2-9]/,
    )
  })
})
