import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { TestFault } from '../src/contract.ts'
import { botKeyOf } from '../src/pool/pool.ts'
import { startStack, VIA_DISCORD, waitFor, type Stack } from './support/stack.ts'

/** Fast supervision so the tests see restarts, hangs and intensity within a few seconds. */
const FAST = {
  WORKER_TEST_HOOKS: '1',
  RPC_TIMEOUT_MS: '1500',
  RESTART_BACKOFF_BASE_MS: '50',
  RESTART_BACKOFF_MAX_MS: '200',
  HEALTH_CHECK_INTERVAL_MS: '200',
  HEALTH_CHECK_TIMEOUT_MS: '400',
  RESTART_WAIT_MS: '3000',
}

let stack: Stack
beforeAll(async () => {
  stack = await startStack(FAST)
})
afterAll(() => stack.stop())

/** Breaks a bot's worker through its off-by-default test hook: a real crash, not a flag. */
async function breakBot(s: Stack, token: string, fault: TestFault) {
  const bot = s.service.pool.get(botKeyOf(token))
  if (!bot) throw new Error('bot not running')
  await bot.call((worker) => worker.injectFault(fault))
}
const snapshotOf = (s: Stack, token: string) => {
  const bot = s.service.pool.get(botKeyOf(token))
  return bot ? s.service.pool.snapshot(bot.workerId) : undefined
}

/** Reads another bot in a loop until stopped, keeping every status it saw. */
function keepReading(s: Stack, sessionId: string) {
  const statuses: number[] = []
  let running = true
  const loop = (async () => {
    while (running) statuses.push((await s.get('/api/session', sessionId)).status)
  })()
  return {
    async stop() {
      running = false
      await loop
      return statuses
    },
  }
}

describe('a crashed worker is restarted; its sessions and the other bots carry on', () => {
  for (const fault of ['throw', 'reject', 'exit'] as const) {
    test(`after a crash (${fault}) the bot answers again with the same session id`, async () => {
      const victim = await stack.login(stack.discord.tokens.beta)
      const bystander = await stack.login(stack.discord.tokens.solo)
      const restartsBefore = snapshotOf(stack, stack.discord.tokens.beta)!.restarts
      const reader = keepReading(stack, bystander.sessionId)

      await breakBot(stack, stack.discord.tokens.beta, fault)
      await waitFor(() => snapshotOf(stack, stack.discord.tokens.beta)!.restarts > restartsBefore)
      const again = await waitFor(async () => {
        const reply = await stack.get('/api/session', victim.sessionId)
        return reply.status === 200 ? reply : undefined
      })
      expect(again.json.worker.state).toBe('ready')
      expect(snapshotOf(stack, stack.discord.tokens.beta)!.lastExit!.reason).toContain(fault === 'exit' ? 'exited' : 'test fault')

      const statuses = await reader.stop()
      expect(statuses.length).toBeGreaterThan(0)
      expect(statuses.every((status) => status === 200)).toBe(true)
    })
  }

  test('a call in flight when its worker dies answers 503 at once with Retry-After, never hangs', async () => {
    const { sessionId } = await stack.login(stack.discord.tokens.beta)
    stack.discord.control.failRest({ bot: 'beta', route: 'GET /channels/:id/messages', hang: true, count: 1 })
    try {
      const inFlight = stack.get(`/api/messages?channelId=${stack.discord.world.ids.generalChannel}&${VIA_DISCORD}`, sessionId)
      await waitFor(() => (stack.discord.counters().rest.beta?.['GET /channels/:id/messages'] ?? 0) > 0)
      await breakBot(stack, stack.discord.tokens.beta, 'exit')
      const reply = await inFlight
      expect(reply.status).toBe(503)
      expect(reply.json.code).toBe('bot_unavailable')
      expect(reply.headers.get('retry-after')).toBe('1')
    } finally {
      stack.discord.control.clearFaults()
    }
  })

  test('a hung worker: calls get 504 within the RPC timeout, the health check restarts it', async () => {
    const victim = await stack.login(stack.discord.tokens.gamma)
    const restartsBefore = snapshotOf(stack, stack.discord.tokens.gamma)!.restarts
    await breakBot(stack, stack.discord.tokens.gamma, 'hang')
    await waitFor(() => snapshotOf(stack, stack.discord.tokens.gamma)!.restarts > restartsBefore, { timeoutMs: 8000 })
    expect(snapshotOf(stack, stack.discord.tokens.gamma)!.lastExit!.reason).toContain('hung')
    const again = await waitFor(async () => {
      const reply = await stack.get('/api/session', victim.sessionId)
      return reply.status === 200 ? reply : undefined
    })
    expect(again.json.worker.ready).toBe(true)
  })

  test('a call into a hung worker answers 504 at the RPC deadline, never hangs', async () => {
    const quiet = await startStack({ ...FAST, HEALTH_CHECK_INTERVAL_MS: '60000' })
    try {
      const { sessionId } = await quiet.login(quiet.discord.tokens.solo)
      await breakBot(quiet, quiet.discord.tokens.solo, 'hang')
      const hung = await waitFor(async () => {
        const reply = await quiet.get('/api/session', sessionId)
        return reply.status === 200 ? undefined : reply
      })
      expect(hung.status).toBe(504)
      expect(hung.json.code).toBe('bot_timeout')
    } finally {
      await quiet.stop()
    }
  }, 15_000)

  test('the newest messages, once read, are answered by the gateway alone: even a hung worker does not stop them', async () => {
    const quiet = await startStack({ ...FAST, HEALTH_CHECK_INTERVAL_MS: '60000' })
    try {
      const { sessionId } = await quiet.login(quiet.discord.tokens.solo)
      const newest = `/api/messages?channelId=${quiet.discord.world.ids.soloGeneralChannel}&limit=10`
      const first = await quiet.get(newest, sessionId)
      expect(first.status).toBe(200)
      await breakBot(quiet, quiet.discord.tokens.solo, 'hang')
      await waitFor(async () => (await quiet.get('/api/session', sessionId)).status === 504)
      const again = await quiet.get(newest, sessionId)
      expect(again.status).toBe(200)
      expect(again.text).toBe(first.text)
      // anything else needs the worker
      expect((await quiet.get(`${newest}&${VIA_DISCORD}`, sessionId)).status).toBe(504)
    } finally {
      await quiet.stop()
    }
  }, 15_000)

  test('a worker past the heap watermark is recycled, with the reason recorded', async () => {
    const small = await startStack({ ...FAST, WORKER_MAX_HEAP_MB: '100' })
    try {
      const { sessionId } = await small.login(small.discord.tokens.solo)
      await breakBot(small, small.discord.tokens.solo, 'grow')
      await waitFor(() => snapshotOf(small, small.discord.tokens.solo)?.lastExit?.reason.startsWith('memory'), { timeoutMs: 8000 })
      const again = await waitFor(async () => ((await small.get('/api/session', sessionId)).status === 200 ? true : undefined))
      expect(again).toBe(true)
    } finally {
      await small.stop()
    }
  })
})

describe('a restart resumes the gateway session instead of spending an IDENTIFY', () => {
  test('after a crash: no new IDENTIFY, one RESUME, and discord.js goes on handling live events', async () => {
    const token = stack.discord.tokens.solo
    const { sessionId } = await stack.login(token)
    const guildId = stack.discord.world.ids.soloGuild
    const before = stack.discord.counters()
    const restarts = snapshotOf(stack, token)!.restarts
    await breakBot(stack, token, 'exit')
    await waitFor(() => snapshotOf(stack, token)!.restarts > restarts && snapshotOf(stack, token)!.state === 'ready')

    const after = stack.discord.counters()
    expect(after.identifies.solo).toBe(before.identifies.solo)
    expect(after.resumes.solo).toBe((before.resumes.solo ?? 0) + 1)
    expect(snapshotOf(stack, token)!.identity.resumed).toBe(true)
    expect((await stack.get('/api/channels', sessionId)).json.length).toBeGreaterThan(0)

    // a member joining reaches discord.js's own handlers (not only raw dispatches): the guild list counts them
    const countOf = async () => (await stack.get('/api/guilds', sessionId)).json[0].memberCount as number
    const members = await countOf()
    stack.discord.control.addMember({ guildId })
    await waitFor(async () => (await countOf()) === members + 1)
  })
})

describe('restart intensity', () => {
  test('more restarts than RESTART_MAX within the window: failed, 503 naming the error, until an admin restarts it', async () => {
    const strict = await startStack({ ...FAST, RESTART_MAX: '1', RESTART_WINDOW_MS: '60000' })
    try {
      const { sessionId } = await strict.login(strict.discord.tokens.solo)
      const token = strict.discord.tokens.solo
      await breakBot(strict, token, 'exit')
      await waitFor(() => snapshotOf(strict, token)?.state === 'ready' && snapshotOf(strict, token)!.restarts === 1)
      await breakBot(strict, token, 'exit')
      await waitFor(() => snapshotOf(strict, token)?.state === 'failed')

      const reply = await strict.get('/api/guilds', sessionId)
      expect(reply.status).toBe(503)
      expect(reply.json.error).toContain('failed')

      const restarted = await strict.service.pool.restart(snapshotOf(strict, token)!.workerId)
      expect(restarted?.state).toBe('ready')
      expect((await strict.get('/api/guilds', sessionId)).status).toBe(200)
    } finally {
      await strict.stop()
    }
  })
})

describe('Discord-side trouble is not a crash', () => {
  test('a 4000 close: discord.js resumes, no new IDENTIFY, no restart', async () => {
    const { sessionId } = await stack.login(stack.discord.tokens.alpha)
    const before = stack.discord.counters()
    const restarts = snapshotOf(stack, stack.discord.tokens.alpha)!.restarts
    stack.discord.control.closeGateway('alpha', 4000)
    await waitFor(() => (stack.discord.counters().resumes.alpha ?? 0) > (before.resumes.alpha ?? 0))
    await waitFor(() => snapshotOf(stack, stack.discord.tokens.alpha)!.state === 'ready')
    expect(stack.discord.counters().identifies.alpha).toBe(before.identifies.alpha)
    expect(snapshotOf(stack, stack.discord.tokens.alpha)!.restarts).toBe(restarts)
    expect((await stack.get('/api/session', sessionId)).status).toBe(200)
  })

  test('a revoked token (close 4004) ends the sessions with 401, and no restart loop follows', async () => {
    const revoking = await startStack(FAST)
    try {
      const { sessionId } = await revoking.login(revoking.discord.tokens.beta)
      const identifies = revoking.discord.counters().identifies.beta
      revoking.discord.control.revokeToken('beta')
      revoking.discord.control.closeGateway('beta', 4004)
      const reply = await waitFor(async () => {
        const answer = await revoking.get('/api/guilds', sessionId)
        return answer.status === 401 ? answer : undefined
      })
      expect(reply.json.error).toBe('Discord rejected the token; log in again')
      expect((await revoking.get('/api/guilds', sessionId)).json.error).toContain('session')
      expect(revoking.discord.counters().identifies.beta).toBe(identifies)
      expect(revoking.service.pool.list()).toHaveLength(0)
    } finally {
      await revoking.stop()
    }
  })

  test('a token revoked on REST (401, confirmed by GET /users/@me) ends the sessions too', async () => {
    const revoking = await startStack(FAST)
    try {
      const { sessionId } = await revoking.login(revoking.discord.tokens.alpha)
      revoking.discord.control.revokeToken('alpha')
      const first = await revoking.get(`/api/members?guildId=${revoking.discord.world.ids.bigGuild}&limit=1`, sessionId)
      expect(first.status).toBe(401)
      expect(first.json.error).toBe('Discord rejected the token; log in again')
      await waitFor(() => revoking.service.pool.list().length === 0)
    } finally {
      await revoking.stop()
    }
  })

  test('Discord 5xx and slowness answer 502 / succeed, and the bot stays ready', async () => {
    const { sessionId } = await stack.login(stack.discord.tokens.alpha)
    const channel = stack.discord.world.ids.generalChannel
    stack.discord.control.failRest({ route: 'GET /channels/:id/messages', status: 503 })
    expect((await stack.get(`/api/messages?channelId=${channel}&${VIA_DISCORD}`, sessionId)).status).toBe(502)
    stack.discord.control.clearFaults()
    stack.discord.control.failRest({ route: 'GET /channels/:id/messages', delayMs: 200, count: 1 })
    expect((await stack.get(`/api/messages?channelId=${channel}&${VIA_DISCORD}`, sessionId)).status).toBe(200)
    stack.discord.control.clearFaults()
    expect(snapshotOf(stack, stack.discord.tokens.alpha)!.state).toBe('ready')
  })
})
