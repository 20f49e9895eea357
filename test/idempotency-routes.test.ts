import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startStack, type Stack } from './support/stack.ts'

// Idempotency-Key is one middleware for every keyed write behind a session: the actions and webhook routes get it
// without code of their own. Each test repeats a request with its key and reads Discord's (the fake's) side.

let stack: Stack
let alpha: string
beforeAll(async () => {
  stack = await startStack({ ALLOW_PRIVATE_WEBHOOKS: '1' })
  alpha = (await stack.login(stack.discord.tokens.alpha)).sessionId
})
afterAll(() => stack.stop())

const channelId = () => stack.discord.world.ids.smallGeneralChannel
const calls = (route: string) => stack.discord.counters().rest.alpha?.[route] ?? 0
const keyed = (method: string, path: string, key: string, body?: unknown) =>
  stack.request(method, path, { sessionId: alpha, body, headers: { 'Idempotency-Key': key } })
const sendOne = async (content: string) =>
  (await stack.request('POST', '/api/messages', { sessionId: alpha, body: { channelId: channelId(), content } })).json
    .id as string

test('an edit retried with its key is edited once and answered the same', async () => {
  const id = await sendOne('draft')
  const path = `/api/messages/${id}`
  const before = calls('PATCH /channels/:id/messages/:id')
  const first = await keyed('PATCH', path, 'edit-1', { channelId: channelId(), content: 'final' })
  const again = await keyed('PATCH', path, 'edit-1', { channelId: channelId(), content: 'final' })
  expect(first.status).toBe(200)
  expect(again.status).toBe(200)
  expect(again.text).toBe(first.text)
  expect(again.headers.get('idempotent-replayed')).toBe('true')
  expect(first.headers.get('idempotent-replayed')).toBeNull()
  expect(calls('PATCH /channels/:id/messages/:id') - before).toBe(1)
})

test('a delete retried with its key answers 204 again instead of 404 (the message is gone after the first)', async () => {
  const id = await sendOne('to delete')
  const path = `/api/messages/${id}?channelId=${channelId()}`
  const first = await keyed('DELETE', path, 'delete-1')
  const again = await keyed('DELETE', path, 'delete-1')
  const unkeyed = await stack.request('DELETE', path, { sessionId: alpha })
  expect([first.status, again.status, unkeyed.status]).toEqual([204, 204, 404])
  expect(again.headers.get('idempotent-replayed')).toBe('true')
})

test('typing with a used key and another channel is refused with 422, and Discord is not called', async () => {
  const other = stack.discord.world.ids.generalChannel
  const first = await keyed('POST', `/api/channels/${channelId()}/typing`, 'typing-1')
  const before = calls('POST /channels/:id/typing')
  const reused = await keyed('POST', `/api/channels/${other}/typing`, 'typing-1')
  expect(first.status).toBe(204)
  expect(reused.status).toBe(422)
  expect(reused.json.code).toBe('idempotency_key_reused')
  expect(calls('POST /channels/:id/typing')).toBe(before)
})

test('a webhook registration retried with its key creates one webhook', async () => {
  const body = { url: 'http://127.0.0.1:9/hook', events: ['messageCreate'] }
  const first = await keyed('POST', '/api/webhooks', 'hook-1', body)
  const again = await keyed('POST', '/api/webhooks', 'hook-1', body)
  expect(first.status).toBe(201)
  expect(again.json.id).toBe(first.json.id)
  const listed = await stack.get('/api/webhooks', alpha)
  expect(listed.json.filter((hook: { url: string }) => hook.url === body.url)).toHaveLength(1)
})
