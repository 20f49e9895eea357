import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { botKeyOf } from '../src/pool/pool.ts'
import { startStack, VIA_DISCORD, waitFor, type Stack } from './support/stack.ts'

// RPC_TIMEOUT_MS 3000 (the stack's): the worker gives Discord 2400 ms per call, 1200 ms per attempt. Every
// slow Discord below answers after ten minutes or never: far past any deadline, on any machine.
const NEVER_MS = 600_000

let stack: Stack
let alpha: string
let beta: string
beforeAll(async () => {
  stack = await startStack()
  alpha = (await stack.login(stack.discord.tokens.alpha)).sessionId
  beta = (await stack.login(stack.discord.tokens.beta)).sessionId
})
afterAll(() => stack.stop())

const channelId = () => stack.discord.world.ids.generalChannel
const atDiscord = (content: string) => stack.discord.world.messagesOf(channelId()).filter((m) => m.content === content)
const send = (sessionId: string, content: string, idempotencyKey?: string) =>
  stack.request('POST', '/api/messages', {
    sessionId,
    body: { channelId: channelId(), content },
    headers: idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey },
  })
const postsByAlpha = () => stack.discord.counters().rest.alpha?.['POST /channels/:id/messages'] ?? 0

describe('POST /api/messages sends exactly once', () => {
  test('a send carries a nonce Discord enforces, at most 25 characters, different for each request', async () => {
    const first = await send(alpha, 'nonce per request')
    const second = await send(alpha, 'nonce per request')
    expect([first.status, second.status]).toEqual([201, 201])
    const [a, b] = atDiscord('nonce per request')
    expect(typeof a?.nonce).toBe('string')
    expect(String(a?.nonce).length).toBeLessThanOrEqual(25)
    expect(b?.nonce).not.toBe(a?.nonce)
  })

  test('the same Idempotency-Key again returns the first message: same id, one message at Discord', async () => {
    const first = await send(alpha, 'keyed send', 'order-1234')
    const again = await send(alpha, 'keyed send', 'order-1234')
    expect(first.status).toBe(201)
    expect(again.status).toBe(201)
    expect(again.json.id).toBe(first.json.id)
    expect(atDiscord('keyed send')).toHaveLength(1)
    // the key never reaches Discord as is
    expect(atDiscord('keyed send')[0]?.nonce).not.toContain('order-1234')
  })

  test('keys are per bot: two bots with the same key send two messages', async () => {
    const byAlpha = await send(alpha, 'shared key', 'same-key')
    const byBeta = await send(beta, 'shared key', 'same-key')
    expect([byAlpha.status, byBeta.status]).toEqual([201, 201])
    expect(byBeta.json.id).not.toBe(byAlpha.json.id)
    expect(atDiscord('shared key')).toHaveLength(2)
  })

  test('an Idempotency-Key that is empty, too long or not printable ASCII is 400, and nothing is sent', async () => {
    const before = postsByAlpha()
    for (const key of ['', 'k'.repeat(256), 'tab\there']) {
      const reply = await send(alpha, 'bad key', key)
      expect(reply.status).toBe(400)
      expect(reply.json).toMatchObject({ code: 'bad_request', error: expect.stringContaining('Idempotency-Key') })
    }
    expect(await send(alpha, 'bad key', 'k'.repeat(255))).toMatchObject({ status: 201 })
    expect(postsByAlpha()).toBe(before + 1)
  })
})

describe('a slow Discord', () => {
  test('sends past the deadline answer 504 outcome_unknown, and each made at most one message despite the retries', async () => {
    stack.discord.control.failRest({ bot: 'alpha', route: 'POST /channels/:id/messages', delayMs: NEVER_MS })
    const postsBefore = postsByAlpha()
    try {
      const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => send(alpha, `slow send ${i}`)))
      for (const reply of replies) {
        expect(reply.status).toBe(504)
        expect(reply.json.code).toBe('outcome_unknown')
        expect(reply.json.error).toContain('may or may not have been sent')
      }
    } finally {
      stack.discord.control.clearFaults()
    }
    // @discordjs/rest sends one request at a time per channel: the sends behind the first may never have left
    const made = Array.from({ length: 5 }, (_, i) => atDiscord(`slow send ${i}`).length)
    for (const count of made) expect(count).toBeLessThanOrEqual(1)
    const messages = made.reduce((sum, count) => sum + count, 0)
    expect(messages).toBeGreaterThan(0)
    // discord.js did retry after an attempt timed out, and Discord took each retry as the same message
    expect(postsByAlpha() - postsBefore).toBeGreaterThan(messages)
  })

  test('a retry with the same Idempotency-Key after outcome_unknown returns the original message', async () => {
    stack.discord.control.failRest({ bot: 'alpha', route: 'POST /channels/:id/messages', delayMs: NEVER_MS })
    let unknown
    try {
      unknown = await send(alpha, 'retry me', 'retry-key-1')
    } finally {
      stack.discord.control.clearFaults()
    }
    expect(unknown.status).toBe(504)
    expect(unknown.json.code).toBe('outcome_unknown')
    const original = atDiscord('retry me')
    expect(original).toHaveLength(1)
    const retried = await send(alpha, 'retry me', 'retry-key-1')
    expect(retried.status).toBe(201)
    expect(retried.json.id).toBe(original[0]?.id)
    expect(atDiscord('retry me')).toHaveLength(1)
  })

  test('a hung Discord that never took the send: outcome_unknown, and the retry with the key sends it once', async () => {
    stack.discord.control.failRest({ bot: 'alpha', route: 'POST /channels/:id/messages', hang: true })
    let unknown
    try {
      unknown = await send(alpha, 'never arrived', 'hang-key-1')
    } finally {
      stack.discord.control.clearFaults()
    }
    expect(unknown.json.code).toBe('outcome_unknown')
    expect(atDiscord('never arrived')).toHaveLength(0)
    const retried = await send(alpha, 'never arrived', 'hang-key-1')
    expect(retried.status).toBe(201)
    expect(atDiscord('never arrived')).toHaveLength(1)
  })

  test('a read past the deadline answers 504 discord_timeout, not bot_timeout, and the bot stays up', async () => {
    stack.discord.control.failRest({ bot: 'alpha', route: 'GET /channels/:id/messages', delayMs: NEVER_MS })
    let reply
    try {
      reply = await stack.get(`/api/messages?channelId=${channelId()}&${VIA_DISCORD}`, alpha)
    } finally {
      stack.discord.control.clearFaults()
    }
    expect(reply.status).toBe(504)
    expect(reply.json).toEqual({ code: 'discord_timeout', error: 'Discord did not answer in time' })
    expect((await stack.get(`/api/messages?channelId=${channelId()}&${VIA_DISCORD}`, alpha)).status).toBe(200)
  })
})

test('a send into a hung worker answers 504 outcome_unknown naming the bot', async () => {
  const quiet = await startStack({ WORKER_TEST_HOOKS: '1', HEALTH_CHECK_INTERVAL_MS: '60000' })
  try {
    const { sessionId } = await quiet.login(quiet.discord.tokens.solo)
    const bot = quiet.service.pool.get(botKeyOf(quiet.discord.tokens.solo))
    await bot?.call((worker) => worker.injectFault('hang'))
    const reply = await quiet.request('POST', '/api/messages', {
      sessionId,
      body: { channelId: quiet.discord.world.ids.soloGeneralChannel, content: 'into a hung worker' },
    })
    expect(reply.status).toBe(504)
    expect(reply.json.code).toBe('outcome_unknown')
    expect(reply.json.error).toStartWith('The bot did not answer in time')
  } finally {
    await quiet.stop()
  }
})

test('a send whose worker dies while Discord holds it answers 504 outcome_unknown, not a 503 inviting a blind retry', async () => {
  const fragile = await startStack({
    WORKER_TEST_HOOKS: '1',
    HEALTH_CHECK_INTERVAL_MS: '600000',
    RPC_TIMEOUT_MS: '20000',
  })
  try {
    const token = fragile.discord.tokens.solo
    const { sessionId } = await fragile.login(token)
    fragile.discord.control.failRest({ bot: 'solo', route: 'POST /channels/:id/messages', hang: true })
    const sending = fragile.request('POST', '/api/messages', {
      sessionId,
      body: { channelId: fragile.discord.world.ids.soloGeneralChannel, content: 'cut off' },
    })
    await waitFor(() => (fragile.discord.counters().rest.solo?.['POST /channels/:id/messages'] ?? 0) > 0)
    const bot = fragile.service.pool.get(botKeyOf(token))
    await bot?.call((worker) => worker.injectFault('exit'))
    const reply = await sending
    expect(reply.status).toBe(504)
    expect(reply.json.code).toBe('outcome_unknown')
  } finally {
    fragile.discord.control.clearFaults()
    await fragile.stop()
  }
})

test('no log line carries a token or a whole session id, no response a token', async () => {
  const logs = stack.logs.join('\n')
  for (const secret of [stack.discord.tokens.alpha, stack.discord.tokens.beta, alpha, beta])
    expect(logs).not.toContain(secret)
  const bodies = stack.bodies.join('\n')
  for (const token of [stack.discord.tokens.alpha, stack.discord.tokens.beta]) expect(bodies).not.toContain(token)
})
