import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { botKeyOf } from '../src/pool/pool.ts'
import { crashAndWait, startStack, type Stack } from './support/stack.ts'
import { readMetric } from './support/metrics.ts'

const HOOKS = {
  WORKER_TEST_HOOKS: '1',
  RESTART_BACKOFF_BASE_MS: '20',
  RESTART_BACKOFF_MAX_MS: '50',
  METRICS_PUBLIC: '1',
}

let stack: Stack
beforeAll(async () => {
  stack = await startStack(HOOKS)
})
afterAll(() => stack.stop())

const metric = readMetric

describe('a crash restart that cannot RESUME says why and counts it', () => {
  test('Discord failing the REST reads READY is rebuilt from: IDENTIFY, a warning from the worker bound to it, resume_fallbacks_total{reason}', async () => {
    const token = stack.discord.tokens.solo
    const { sessionId } = await stack.login(token)
    const before = stack.discord.counters()
    const fallbacks = await metric(stack, 'botvisor_resume_fallbacks_total{reason="snapshot_failed"}')
    stack.discord.control.failRest({ bot: 'solo', route: 'GET /users/@me/guilds', status: 500 })
    try {
      const snapshot = await crashAndWait(stack, token)
      expect(snapshot.identity.resumed).toBe(false)
    } finally {
      stack.discord.control.clearFaults()
    }
    const after = stack.discord.counters()
    expect(after.identifies.solo).toBe((before.identifies.solo ?? 0) + 1)
    expect(after.resumes.solo ?? 0).toBe(before.resumes.solo ?? 0)
    expect(await metric(stack, 'botvisor_resume_fallbacks_total{reason="snapshot_failed"}')).toBe(fallbacks + 1)

    const bot = stack.service.pool.get(botKeyOf(token))!
    const lines = stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>)
    const warning = lines.find((line) => String(line.msg).startsWith('restart could not RESUME'))
    expect(warning).toMatchObject({
      level: 40,
      worker: bot.workerId,
      bot: bot.identity.botId,
      reason: 'snapshot_failed',
    })
    expect(String(warning?.detail)).toContain('Internal Server Error') // Discord's answer, as discord.js reported it
    expect(stack.logs.join('\n')).not.toContain(token)
    expect((await stack.get('/api/guilds', sessionId)).status).toBe(200)
  })

  test('with nothing failing the same crash RESUMEs and counts no fallback', async () => {
    const token = stack.discord.tokens.beta
    await stack.login(token)
    const before = stack.discord.counters()
    const fallbacks = await metric(stack, 'botvisor_resume_fallbacks_total{reason="snapshot_failed"}')
    const snapshot = await crashAndWait(stack, token)
    expect(snapshot.identity.resumed).toBe(true)
    expect(stack.discord.counters().resumes.beta).toBe((before.resumes.beta ?? 0) + 1)
    expect(stack.discord.counters().identifies.beta).toBe(before.identifies.beta)
    expect(await metric(stack, 'botvisor_resume_fallbacks_total{reason="snapshot_failed"}')).toBe(fallbacks)
  })
})

test('RESUME_ON_RESTART=0: a crash restart IDENTIFYs and never touches the RESUME path', async () => {
  const plain = await startStack({ ...HOOKS, RESUME_ON_RESTART: '0' })
  try {
    const token = plain.discord.tokens.solo
    const { sessionId } = await plain.login(token)
    const before = plain.discord.counters()
    const snapshot = await crashAndWait(plain, token)
    expect(snapshot.identity.resumed).toBe(false)
    const after = plain.discord.counters()
    expect(after.identifies.solo).toBe((before.identifies.solo ?? 0) + 1)
    expect(after.resumes.solo ?? 0).toBe(before.resumes.solo ?? 0)
    // the snapshot is read from REST only to RESUME: off, not one of those reads
    expect(after.rest.solo?.['GET /users/@me/guilds'] ?? 0).toBe(before.rest.solo?.['GET /users/@me/guilds'] ?? 0)
    expect((await plain.get('/api/guilds', sessionId)).status).toBe(200)
  } finally {
    await plain.stop()
  }
})
