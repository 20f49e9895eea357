import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { botKeyOf } from '../src/pool/pool.ts'
import { startStack, waitFor, type Stack } from './support/stack.ts'

const ADMIN_TOKEN = 'test-admin-token-0123456789'
/** A service with alpha logged in twice, one Discord REST call made and a health check done. */
async function startAdminStack(): Promise<{ stack: Stack; alpha: string }> {
  const started = await startStack({
    ADMIN_TOKEN,
    WORKER_TEST_HOOKS: '1',
    HEALTH_CHECK_INTERVAL_MS: '100',
    RESTART_BACKOFF_BASE_MS: '50',
  })
  const session = (await started.login(started.discord.tokens.alpha)).sessionId
  await started.login(started.discord.tokens.alpha)
  await started.get(`/api/members?guildId=${started.discord.world.ids.bigGuild}&limit=5`, session) // one Discord REST call
  await started.service.pool.checkHealth()
  return { stack: started, alpha: session }
}

// The tests on this stack only read; the ones that restart or stop the bot take a stack of their own, so any
// test runs alone or in any order.
let stack: Stack
let alpha: string
beforeAll(async () => {
  ;({ stack, alpha } = await startAdminStack())
})
afterAll(() => stack.stop())

const adminOn = (on: Stack) => (method: string, path: string) =>
  on.request(method, path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
const admin = (method: string, path: string) => adminOn(stack)(method, path)
const alphaWorkerIdOn = (on: Stack) => on.service.pool.get(botKeyOf(on.discord.tokens.alpha))!.workerId
const alphaWorkerId = () => alphaWorkerIdOn(stack)

describe('admin API', () => {
  test('admin routes need Authorization: Bearer <ADMIN_TOKEN>', async () => {
    for (const authorization of [undefined, 'Bearer nope', ADMIN_TOKEN, `Bearer ${ADMIN_TOKEN}x`]) {
      const reply = await stack.request('GET', '/admin/workers', { headers: authorization ? { authorization } : {} })
      expect(reply.status).toBe(401)
      expect(reply.json.code).toBe('unauthorized')
    }
    // a session id is not an admin token
    expect(
      (await stack.request('GET', '/admin/health', { headers: { authorization: `Bearer ${alpha}` } })).status,
    ).toBe(401)
  })

  test('GET /admin/workers: one row per worker with its health', async () => {
    const reply = await admin('GET', '/admin/workers')
    expect(reply.status).toBe(200)
    expect(reply.json).toHaveLength(1)
    const row = reply.json[0]
    expect(row.workerId).toBe(alphaWorkerId())
    expect(row.botId).toBe(stack.discord.world.bots.alpha.user.id)
    expect(row.botName).toBe(stack.discord.world.bots.alpha.user.username)
    expect(row.state).toBe('ready')
    expect(row.sessions).toBe(2)
    expect(row.guildCount).toBe(3)
    expect(row.restarts).toBe(0)
    expect(row.heapUsedBytes).toBeGreaterThan(0)
    expect(row.identifiesLeft).toBeGreaterThan(900)
    expect(row.discordRestCalls).toBeGreaterThan(0)
    expect(row.discordRateLimited).toBe(0)
    expect(row.rpcLatencyMs.p50).toBeGreaterThan(0)
  })

  test('GET /admin/workers/:id shows one; an unknown id is a 404', async () => {
    expect((await admin('GET', `/admin/workers/${alphaWorkerId()}`)).json.state).toBe('ready')
    expect((await admin('GET', '/admin/workers/nope')).status).toBe(404)
  })

  test('POST /admin/workers/:id/restart gives the bot a fresh worker; its sessions carry on', async () => {
    const own = await startAdminStack()
    try {
      const reply = await adminOn(own.stack)('POST', `/admin/workers/${alphaWorkerIdOn(own.stack)}/restart`)
      expect(reply.status).toBe(200)
      expect(reply.json.state).toBe('ready')
      expect(reply.json.restarts).toBe(1)
      expect((await own.stack.get('/api/session', own.alpha)).status).toBe(200)
      expect((await adminOn(own.stack)('GET', '/metrics')).text).toContain(
        'botvisor_worker_restarts_total{cause="admin"} 1',
      )
    } finally {
      await own.stack.stop()
    }
  })

  test('GET /admin/health: totals by state, event-loop lag, memory and the invalid-request budget', async () => {
    const reply = await admin('GET', '/admin/health')
    expect(reply.status).toBe(200)
    expect(reply.json.workers.ready).toBe(1)
    expect(reply.json.workers.failed).toBe(0)
    expect(reply.json.eventLoopLagMs).toBeGreaterThanOrEqual(0)
    expect(reply.json.memory.rssBytes).toBeGreaterThan(0)
    expect(reply.json.invalidRequests).toMatchObject({ limit: 9000, windowMinutes: 10, failingFast: false })
  })

  test('GET /metrics is Prometheus text, guarded like admin, labelled by bot id and never by session', async () => {
    expect((await stack.get('/metrics')).status).toBe(401)
    expect((await stack.get('/api/session', alpha)).status).toBe(200)
    const reply = await admin('GET', '/metrics')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toContain('text/plain')
    const botId = stack.discord.world.bots.alpha.user.id
    for (const line of [
      'botvisor_workers{state="ready"} 1',
      'botvisor_http_requests_total{method="GET",route="/api/session",status="200"}',
      'botvisor_http_request_duration_seconds_bucket',
      'botvisor_worker_rpc_duration_seconds_bucket',
      `botvisor_discord_rest_calls{bot="${botId}"}`,
      `botvisor_gateway_ping_ms{bot="${botId}"}`,
      'botvisor_discord_invalid_requests_window',
    ]) {
      expect(reply.text).toContain(line)
    }
    expect(reply.text).not.toContain(alpha.slice(0, 6))
  })

  test('DELETE /admin/workers/:id stops the bot and ends its sessions', async () => {
    const own = await startAdminStack()
    try {
      const reply = await adminOn(own.stack)('DELETE', `/admin/workers/${alphaWorkerIdOn(own.stack)}`)
      expect(reply.status).toBe(200)
      expect(reply.json.sessionsEnded).toBe(2)
      expect((await own.stack.get('/api/guilds', own.alpha)).status).toBe(401)
      await waitFor(() => (own.stack.discord.counters().openConnections.alpha ?? 0) === 0)
      expect((await adminOn(own.stack)('GET', '/admin/workers')).json).toHaveLength(0)
    } finally {
      await own.stack.stop()
    }
  })

  test('GET /readyz answers ready while the service takes traffic', async () => {
    const reply = await stack.get('/readyz')
    expect(reply.status).toBe(200)
    expect(reply.json).toEqual({ status: 'ready' })
  })
})

describe('budgets that protect the bots from Discord', () => {
  test('near the invalid-request limit the gateway fails fast instead of calling Discord', async () => {
    // the IP-wide guard alone: no per-bot share below it, and every read of the hidden channel reaches Discord
    const guarded = await startStack({
      ADMIN_TOKEN,
      INVALID_REQUEST_LIMIT: '3',
      INVALID_REQUEST_BOT_SHARE: '100',
      DISCORD_REFUSAL_CACHE_MS: '0',
      HEALTH_CHECK_INTERVAL_MS: '60000',
    })
    try {
      const { sessionId } = await guarded.login(guarded.discord.tokens.alpha)
      const hidden = `/api/messages?channelId=${guarded.discord.world.ids.hiddenChannel}`
      for (let i = 0; i < 3; i++) expect((await guarded.get(hidden, sessionId)).status).toBe(403)
      const callsBefore = guarded.discord.counters().restTotal
      const reply = await guarded.get(`/api/messages?channelId=${guarded.discord.world.ids.generalChannel}`, sessionId)
      expect(reply.status).toBe(503)
      expect(reply.json.error).toContain('invalid requests')
      expect(guarded.discord.counters().restTotal).toBe(callsBefore)
      const health = await guarded.request('GET', '/admin/health', {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
      expect(health.json.invalidRequests).toMatchObject({ used: 3, limit: 3, failingFast: true })
    } finally {
      await guarded.stop()
    }
  })

  test('an automatic restart that cannot RESUME refuses to IDENTIFY when the day’s budget is nearly spent, and admin says so', async () => {
    // IDENTIFY_RESERVE above the fake's 1 000 a day: every automatic restart must refuse
    const thrifty = await startStack({
      ADMIN_TOKEN,
      IDENTIFY_RESERVE: '1000',
      WORKER_TEST_HOOKS: '1',
      RESTART_BACKOFF_BASE_MS: '20',
    })
    try {
      const token = thrifty.discord.tokens.solo
      const { sessionId } = await thrifty.login(token)
      const identifies = thrifty.discord.counters().identifies.solo
      const bot = thrifty.service.pool.get(botKeyOf(token))!
      // Discord failing the REST reads a RESUME is rebuilt from leaves only an IDENTIFY
      thrifty.discord.control.failRest({ bot: 'solo', route: 'GET /users/@me/guilds', status: 500 })
      await bot.call((worker) => worker.injectFault('exit'))
      await waitFor(() => bot.state() === 'failed')
      expect(thrifty.discord.counters().identifies.solo).toBe(identifies)
      const row = (
        await thrifty.request('GET', `/admin/workers/${bot.workerId}`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        })
      ).json
      expect(row.lastError).toContain('refusing to IDENTIFY')
      expect((await thrifty.get('/api/session', sessionId)).status).toBe(503)
    } finally {
      await thrifty.stop()
    }
  })
})
