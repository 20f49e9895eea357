import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { startStack, type Stack } from './support/stack.ts'

let stack: Stack
let sessionId: string
beforeAll(async () => {
  stack = await startStack()
  sessionId = (await stack.login(stack.discord.tokens.solo)).sessionId
})
afterAll(() => stack.stop())

const isClientError = (status: number) => status >= 400 && status < 500
const queryText = fc
  .array(fc.tuple(fc.constantFrom('guildId', 'channelId', 'limit', 'after', 'before', 'x'), fc.string()), {
    maxLength: 4,
  })
  .map((pairs) => new URLSearchParams(pairs).toString())

describe('random input never yields a 5xx', () => {
  test('any JSON body to /api/auth/login gets a 4xx with error and code', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (body) => {
        fc.pre(!(typeof body === 'object' && body !== null && 'token' in body && typeof body.token === 'string'))
        const reply = await stack.request('POST', '/api/auth/login', { body: JSON.stringify(body) })
        expect(isClientError(reply.status)).toBe(true)
        expect(reply.json).toMatchObject({ error: expect.any(String), code: expect.any(String) })
      }),
      { numRuns: 150 },
    )
  })

  test('any string body and content type get a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        fc.constantFrom('application/json', 'text/plain', '', 'application/x-www-form-urlencoded'),
        async (body, type) => {
          const reply = await stack.request('POST', '/api/messages', {
            sessionId,
            body,
            headers: { 'content-type': type },
          })
          expect(isClientError(reply.status)).toBe(true)
          expect(typeof reply.json.error).toBe('string')
        },
      ),
      { numRuns: 100 },
    )
  })

  test('any query string on the read routes gets a 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/api/channels', '/api/members', '/api/messages', '/api/guilds'),
        queryText,
        async (path, query) => {
          const reply = await stack.get(`${path}?${query}`, sessionId)
          expect(reply.status).toBeLessThan(500)
        },
      ),
      { numRuns: 150 },
    )
  })

  test('any Authorization header gets a 401 on a session route, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 100 }), async (header) => {
        const safe = header.replace(/[^\t\x20-\x7e]/g, '')
        fc.pre(safe.trim() !== sessionId && safe.replace(/^Bearer\s+/i, '').trim() !== sessionId)
        const reply = await stack.request('GET', '/api/guilds', { headers: { authorization: safe } })
        expect(reply.status).toBe(401)
      }),
      { numRuns: 150 },
    )
  })

  test('a limit is accepted only as digits from 1 to 500, whatever else is sent', async () => {
    const { soloGeneralChannel } = stack.discord.world.ids
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom('1e2', '+5', ' 5', '5 ', '5.0', '', '0x10', '٥'),
          fc.string({ maxLength: 6 }),
          fc.integer({ min: -5, max: 600 }).map(String),
        ),
        async (limit) => {
          const reply = await stack.get(
            `/api/messages?channelId=${soloGeneralChannel}&limit=${encodeURIComponent(limit)}`,
            sessionId,
          )
          const valid = /^\d+$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 500
          expect(reply.status).toBe(valid ? 200 : 400)
        },
      ),
      { numRuns: 150 },
    )
  })
})
