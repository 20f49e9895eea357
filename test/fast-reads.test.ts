import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startStack, type Stack } from './support/stack.ts'

let stack: Stack
let sessionId: string
beforeAll(async () => {
  stack = await startStack()
  sessionId = (await stack.login(stack.discord.tokens.alpha)).sessionId
})
afterAll(() => stack.stop())

const headerSet = (headers: Headers) =>
  [...headers.entries()].filter(([name]) => !['date', 'content-length'].includes(name)).sort()

describe('cached guild and channel lists take a short path, with the same answer as the full app', () => {
  test('the same body and headers as the full app gives', async () => {
    // an extra query parameter the short path does not know sends the request through the full app
    for (const [short, full] of [
      ['/api/guilds', '/api/guilds?full=1'],
      [`/api/channels?guildId=${stack.discord.world.ids.bigGuild}`, `/api/channels?guildId=${stack.discord.world.ids.bigGuild}&full=1`],
      // read once first: the newest messages are kept by the gateway only after the worker answered them
      [`/api/messages?channelId=${stack.discord.world.ids.manyMessagesChannel}&limit=20`, `/api/messages?channelId=${stack.discord.world.ids.manyMessagesChannel}&limit=20&full=1`],
    ] as const) {
      await stack.get(short, sessionId)
      const [fast, slow] = await Promise.all([stack.get(short, sessionId), stack.get(full, sessionId)])
      expect(fast.status).toBe(200)
      expect(slow.status).toBe(200)
      expect(fast.text).toBe(slow.text)
      // the Link header names the request's own query, which differs by the extra parameter
      const withoutLink = (headers: Headers) => headerSet(headers).filter(([name]) => name !== 'link')
      expect(withoutLink(fast.headers)).toEqual(withoutLink(slow.headers))
      expect(fast.headers.has('link')).toBe(slow.headers.has('link'))
    }
  })

  test('every request is logged and counted alike on both paths', async () => {
    const before = stack.logs.length
    await stack.get('/api/guilds', sessionId)
    await stack.get('/api/guilds?full=1', sessionId)
    const lines = stack.logs.slice(before).map((line) => JSON.parse(line)).filter((line) => line.msg === 'request')
    expect(lines).toHaveLength(2)
    const keys = (line: Record<string, unknown>) => Object.keys(line).filter((key) => key !== 'time').sort()
    expect(keys(lines[0])).toEqual(keys(lines[1]))
    expect(lines[0]).toMatchObject({ method: 'GET', route: '/api/guilds', status: 200, session: `${sessionId.slice(0, 6)}…` })
  })

  test('errors still come from the full app: unknown session, unknown guild, missing guildId', async () => {
    expect((await stack.get('/api/guilds', 'x'.repeat(32))).status).toBe(401)
    expect((await stack.get('/api/channels?guildId=100000000000000000', sessionId)).json).toEqual({ error: 'Unknown guild', code: 'not_found' })
    expect((await stack.get('/api/channels', sessionId)).status).toBe(400)
  })
})
