import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startStack, type Stack } from './support/stack.ts'

// ALLOW_PRIVATE_WEBHOOKS left at its default (0), as in production
let stack: Stack
let sessionId: string
beforeAll(async () => {
  stack = await startStack()
  sessionId = (await stack.login(stack.discord.tokens.alpha)).sessionId
})
afterAll(() => stack.stop())

test.each([
  ['http://127.0.0.1:8080/hook', 'loopback'],
  ['http://10.0.0.5/hook', 'private'],
  ['http://192.168.1.10/hook', 'private'],
  ['http://100.64.1.1/hook', 'carrier-grade NAT'],
  ['http://169.254.169.254/latest/meta-data/', 'metadata'],
  ['http://[::1]:8080/hook', 'loopback'],
  ['http://[fd00::1]/hook', 'unique local'],
  ['http://[::ffff:127.0.0.1]/hook', 'loopback'],
  ['http://0.0.0.0:8080/hook', 'unspecified'],
  ['http://localhost:8080/hook', 'only to internal addresses'],
])('POST /api/webhooks refuses %s (%s) with 400 naming url', async (url, why) => {
  const res = await stack.request('POST', '/api/webhooks', {
    sessionId,
    body: { url, events: ['messageCreate'] },
  })
  expect(res.status).toBe(400)
  expect(res.json.code).toBe('bad_request')
  expect(res.json.error).toStartWith('url: ')
  expect(res.json.error).toContain(why)
  expect((await stack.get('/api/webhooks', sessionId)).json).toEqual([])
})
