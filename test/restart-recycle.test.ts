import { afterEach, expect, test } from 'bun:test'
import { botKeyOf } from '../src/pool/pool.ts'
import { startStack, waitFor, type Stack } from './support/stack.ts'

/**
 * A worker replaced while the service runs (an admin restart, a memory-watermark recycle) hands its gateway
 * session to the next one: it closes resumably (not 1000) and the new worker RESUMEs, spending no IDENTIFY.
 */
const FAST = {
  WORKER_TEST_HOOKS: '1',
  RPC_TIMEOUT_MS: '20000',
  RESTART_BACKOFF_BASE_MS: '50',
  RESTART_BACKOFF_MAX_MS: '200',
  HEALTH_CHECK_INTERVAL_MS: '600000',
  HEALTH_CHECK_TIMEOUT_MS: '20000',
  RESTART_WAIT_MS: '10000',
}

let stack: Stack | undefined
afterEach(async () => {
  await stack?.stop()
  stack = undefined
})

const botOf = (s: Stack, token: string) => {
  const bot = s.service.pool.get(botKeyOf(token))
  if (!bot) throw new Error('bot not running')
  return bot
}

test('an admin restart RESUMEs the gateway session: one RESUME, no IDENTIFY, the session reads again', async () => {
  const s = await startStack(FAST)
  stack = s
  const token = s.discord.tokens.beta
  const { sessionId } = await s.login(token)
  const before = s.discord.counters()
  const { workerId } = botOf(s, token)
  const restarted = await s.request('POST', `/admin/workers/${workerId}/restart`, {
    headers: { authorization: `Bearer ${s.service.adminToken}` },
  })
  expect(restarted.status).toBe(200)
  await waitFor(async () => ((await s.get('/api/session', sessionId)).status === 200 ? true : undefined))
  const after = s.discord.counters()
  expect(after.resumes.beta ?? 0).toBe((before.resumes.beta ?? 0) + 1)
  expect(after.identifies.beta).toBe(before.identifies.beta)
  expect(botOf(s, token).identity.resumed).toBe(true)
})

test('a memory-watermark recycle RESUMEs too', async () => {
  const s = await startStack({ ...FAST, WORKER_MAX_HEAP_MB: '100' })
  stack = s
  const token = s.discord.tokens.solo
  const { sessionId } = await s.login(token)
  const before = s.discord.counters()
  const injected = await botOf(s, token).call((worker) => worker.injectFault('grow'))
  expect(injected.ok).toBe(true)
  await waitFor(() => s.service.pool.snapshot(botOf(s, token).workerId)?.lastExit?.reason.startsWith('memory'), {
    timeoutMs: 15_000,
  })
  await waitFor(async () => ((await s.get('/api/session', sessionId)).status === 200 ? true : undefined))
  const after = s.discord.counters()
  expect(after.resumes.solo ?? 0).toBe((before.resumes.solo ?? 0) + 1)
  expect(after.identifies.solo).toBe(before.identifies.solo)
})
