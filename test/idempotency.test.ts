import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { botKeyOf } from '../src/pool/pool.ts'
import type { IdempotencyStore } from '../src/store/idempotency.ts'
import { createMemoryIdempotencyStore } from '../src/store/idempotency-memory.ts'
import { startStack, waitFor, type Stack } from './support/stack.ts'

const DAY_MS = 86_400_000
// Discord answers the first attempt after ten minutes: the message exists at once, the answer never comes in time
const NEVER_MS = 600_000
const MESSAGES = 'POST /channels/:id/messages'

/**
 * The service's own in-memory store on a clock the test moves, and with keys whose completion the test holds:
 * a request with such a key has called Discord and answered, but stays in flight until the test lets it go.
 */
function controlledStore() {
  let nowMs = Date.now()
  const inner = createMemoryIdempotencyStore({ ttlMs: DAY_MS, maxKeys: 1000, now: () => nowMs })
  const gates = new Map<string, PromiseWithResolvers<void>>()
  const completing = new Set<string>()
  const store: IdempotencyStore = {
    begin: inner.begin,
    get: inner.get,
    release: inner.release,
    async complete(botId, key, fingerprint, answer) {
      completing.add(key)
      await gates.get(key)?.promise
      return inner.complete(botId, key, fingerprint, answer)
    },
  }
  return {
    store,
    advance: (ms: number) => void (nowMs += ms),
    hold: (key: string) => void gates.set(key, Promise.withResolvers<void>()),
    letGo: (key: string) => gates.get(key)?.resolve(),
    completing: (key: string) => completing.has(key),
  }
}

let stack: Stack
let control: ReturnType<typeof controlledStore>
let alpha: string
let beta: string
beforeAll(async () => {
  control = controlledStore()
  stack = await startStack(
    {
      WORKER_TEST_HOOKS: '1',
      // the restart test: a long backoff keeps the bot restarting while the retry arrives, and the retry may
      // wait the whole restart; no health check or deadline a slow machine could trip
      RESTART_BACKOFF_BASE_MS: '3000',
      RESTART_BACKOFF_MAX_MS: '3000',
      RESTART_WAIT_MS: '60000',
      RPC_TIMEOUT_MS: '60000',
      HEALTH_CHECK_INTERVAL_MS: '600000',
      HEALTH_CHECK_TIMEOUT_MS: '60000',
    },
    { idempotency: control.store },
  )
  alpha = (await stack.login(stack.discord.tokens.alpha)).sessionId
  beta = (await stack.login(stack.discord.tokens.beta)).sessionId
})
afterAll(() => stack.stop())

const general = () => stack.discord.world.ids.generalChannel
const atDiscord = (channelId: string, content: string) =>
  stack.discord.world.messagesOf(channelId).filter((m) => m.content === content)
const posts = (bot: 'alpha' | 'beta' | 'solo') => stack.discord.counters().rest[bot]?.[MESSAGES] ?? 0
const send = (sessionId: string, key: string, body: { channelId?: string; content: string }, path = '/api/messages') =>
  stack.request('POST', path, {
    sessionId,
    body: { channelId: body.channelId ?? general(), content: body.content },
    headers: { 'idempotency-key': key },
  })
async function metric(name: string): Promise<number> {
  const reply = await stack.request('GET', '/metrics', {
    headers: { authorization: `Bearer ${stack.service.adminToken}` },
  })
  const line = reply.text.split('\n').find((row) => row.startsWith(`${name} `))
  return Number(line?.split(' ')[1] ?? Number.NaN)
}

describe('Idempotency-Key on POST /api/messages', () => {
  test('a retried send posts once and answers the same status, body and Location, with Idempotent-Replayed', async () => {
    const before = posts('alpha')
    const replaysBefore = await metric('botvisor_idempotent_replays_total')
    const first = await send(alpha, 'retry-1', { content: 'sent once' })
    const again = await send(alpha, 'retry-1', { content: 'sent once' })
    expect(first.status).toBe(201)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    expect(again.status).toBe(201)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.text).toBe(first.text)
    expect(again.headers.get('location')).toBe(first.headers.get('location'))
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'))
    expect(posts('alpha') - before).toBe(1)
    expect(atDiscord(general(), 'sent once')).toHaveLength(1)
    expect(await metric('botvisor_idempotent_replays_total')).toBe(replaysBefore + 1)
  })

  test('the same key with another body, or another query, is 422 idempotency_key_reused and sends nothing', async () => {
    const reusedBefore = await metric('botvisor_idempotency_key_reused_total')
    expect((await send(alpha, 'reuse-1', { content: 'the first body' })).status).toBe(201)
    const before = posts('alpha')
    const otherBody = await send(alpha, 'reuse-1', { content: 'another body' })
    expect(otherBody.status).toBe(422)
    expect(otherBody.json).toMatchObject({
      code: 'idempotency_key_reused',
      error: expect.stringContaining('Idempotency-Key'),
    })
    const otherQuery = await send(alpha, 'reuse-1', { content: 'the first body' }, '/api/messages?again=1')
    expect(otherQuery.status).toBe(422)
    expect(posts('alpha')).toBe(before)
    expect(atDiscord(general(), 'another body')).toHaveLength(0)
    expect(await metric('botvisor_idempotency_key_reused_total')).toBe(reusedBefore + 2)
  })

  test('keys are per bot: the same key on another bot is independent, and each replays its own answer', async () => {
    const byAlpha = await send(alpha, 'shared-1', { content: 'alpha speaks' })
    const byBeta = await send(beta, 'shared-1', { content: 'beta speaks' })
    expect([byAlpha.status, byBeta.status]).toEqual([201, 201])
    expect(byBeta.headers.get('idempotent-replayed')).toBeNull()
    const betaAgain = await send(beta, 'shared-1', { content: 'beta speaks' })
    expect(betaAgain.headers.get('idempotent-replayed')).toBe('true')
    expect(betaAgain.text).toBe(byBeta.text)
    expect(atDiscord(general(), 'beta speaks')).toHaveLength(1)
  })

  test('two requests at once with one key: one Discord call, and both answers are equal', async () => {
    control.hold('together-1')
    const before = posts('alpha')
    const first = send(alpha, 'together-1', { content: 'at the same time' })
    // the first has called Discord and answered, but is still in flight
    await waitFor(() => control.completing('together-1'))
    const second = send(alpha, 'together-1', { content: 'at the same time' })
    await waitFor(async () => (await metric('botvisor_idempotent_waiters')) === 1)
    control.letGo('together-1')
    const [one, two] = await Promise.all([first, second])
    expect([one.status, two.status]).toEqual([201, 201])
    expect(two.text).toBe(one.text)
    expect(two.headers.get('idempotent-replayed')).toBe('true')
    expect(posts('alpha') - before).toBe(1)
    expect(atDiscord(general(), 'at the same time')).toHaveLength(1)
    expect(await metric('botvisor_idempotent_waiters')).toBe(0)
  })

  test('a deterministic 4xx is kept and replayed; a 5xx is not, so the retry runs again', async () => {
    const nowhere = '100000000000000001'
    const before = posts('alpha')
    const unknown = await send(alpha, 'four-oh-four', { channelId: nowhere, content: 'to nowhere' })
    const unknownAgain = await send(alpha, 'four-oh-four', { channelId: nowhere, content: 'to nowhere' })
    expect(unknown.status).toBe(404)
    expect(unknownAgain.status).toBe(404)
    expect(unknownAgain.headers.get('idempotent-replayed')).toBe('true')
    expect(unknownAgain.text).toBe(unknown.text)
    expect(posts('alpha') - before).toBe(1)

    stack.discord.control.failRest({ bot: 'alpha', route: MESSAGES, status: 500 })
    let failed
    try {
      failed = await send(alpha, 'five-oh-two', { content: 'after a 5xx' })
    } finally {
      stack.discord.control.clearFaults()
    }
    expect(failed.status).toBe(502)
    const callsAfterFailure = posts('alpha')
    const retried = await send(alpha, 'five-oh-two', { content: 'after a 5xx' })
    expect(retried.status).toBe(201)
    expect(retried.headers.get('idempotent-replayed')).toBeNull()
    expect(posts('alpha')).toBe(callsAfterFailure + 1)
    expect(atDiscord(general(), 'after a 5xx')).toHaveLength(1)
  })

  test('after IDEMPOTENCY_TTL_MS the key is free: the retry reaches Discord again and is no replay', async () => {
    const first = await send(alpha, 'expiring-1', { content: 'kept a day' })
    control.advance(DAY_MS - 1)
    const within = await send(alpha, 'expiring-1', { content: 'kept a day' })
    expect(within.headers.get('idempotent-replayed')).toBe('true')
    const before = posts('alpha')
    control.advance(1)
    const after = await send(alpha, 'expiring-1', { content: 'kept a day' })
    expect(after.status).toBe(201)
    expect(after.headers.get('idempotent-replayed')).toBeNull()
    expect(posts('alpha')).toBe(before + 1)
    // Discord's own nonce (derived from the key) still finds the first message: one message in all
    expect(after.json.id).toBe(first.json.id)
    expect(atDiscord(general(), 'kept a day')).toHaveLength(1)
  })

  test('reads ignore the header: GET is never replayed, even with a key that would be refused on a write', async () => {
    const read = () =>
      stack.request('GET', '/api/guilds', { sessionId: alpha, headers: { 'idempotency-key': 'tab\there' } })
    const [one, two] = [await read(), await read()]
    expect([one.status, two.status]).toEqual([200, 200])
    expect(two.headers.get('idempotent-replayed')).toBeNull()
  })
})

test('a retry made while the worker is restarting posts once in the end', async () => {
  const token = stack.discord.tokens.solo
  const { sessionId } = await stack.login(token)
  const channelId = stack.discord.world.ids.soloGeneralChannel
  const content = 'through a restart'
  const body = { channelId, content }
  const before = posts('solo')
  // the first attempt reaches Discord (the message exists) but its answer never comes back in time
  stack.discord.control.failRest({ bot: 'solo', route: MESSAGES, delayMs: NEVER_MS, count: 1 })
  const first = send(sessionId, 'restart-1', body)
  await waitFor(() => posts('solo') > before)
  const bot = stack.service.pool.get(botKeyOf(token))
  const restartsBefore = bot ? stack.service.pool.snapshot(bot.workerId)?.restarts : undefined
  expect((await bot?.call((worker) => worker.injectFault('exit')))?.ok).toBe(true)
  const cut = await first
  expect(cut.status).toBe(504)
  expect(cut.json.code).toBe('outcome_unknown')

  // not kept: the retry runs again, waits for the restarted worker, and Discord matches its nonce
  const retried = await send(sessionId, 'restart-1', body)
  expect(retried.status).toBe(201)
  expect(retried.headers.get('idempotent-replayed')).toBeNull()
  const snapshot = stack.service.pool.snapshot(stack.service.pool.get(botKeyOf(token))!.workerId)
  expect(snapshot?.restarts).toBe((restartsBefore ?? 0) + 1)
  const atFake = atDiscord(channelId, content)
  expect(atFake).toHaveLength(1)
  expect(retried.json.id).toBe(atFake[0]?.id)

  const callsNow = posts('solo')
  const replayed = await send(sessionId, 'restart-1', body)
  expect(replayed.headers.get('idempotent-replayed')).toBe('true')
  expect(replayed.text).toBe(retried.text)
  expect(posts('solo')).toBe(callsNow)
  expect(atDiscord(channelId, content)).toHaveLength(1)
})
