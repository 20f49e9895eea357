import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { TestFault } from '../src/contract.ts'
import { botKeyOf } from '../src/pool/pool.ts'
import { startStack, VIA_DISCORD, waitFor, type Stack } from './support/stack.ts'

/**
 * Quick restarts, and no deadline that a slow machine could miss: health checks run only when a test
 * triggers them, and timeouts are long wherever a timeout is not what the test is about.
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

let stack: Stack
beforeAll(async () => {
  stack = await startStack(FAST)
})
afterAll(() => stack.stop())

/** Breaks a bot's worker through its off-by-default test hook: a real crash, not a flag. */
async function breakBot(s: Stack, token: string, fault: TestFault) {
  const bot = s.service.pool.get(botKeyOf(token))
  if (!bot) throw new Error('bot not running')
  const injected = await bot.call((worker) => worker.injectFault(fault))
  if (!injected.ok) throw new Error(injected.detail)
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
      expect(snapshotOf(stack, stack.discord.tokens.beta)!.lastExit!.reason).toContain(
        fault === 'exit' ? 'exited' : 'test fault',
      )

      const statuses = await reader.stop()
      expect(statuses.length).toBeGreaterThan(0)
      expect(statuses.every((status) => status === 200)).toBe(true)
    })
  }

  test('a call in flight when its worker dies answers 503 at once with Retry-After, never hangs', async () => {
    const { sessionId } = await stack.login(stack.discord.tokens.beta)
    stack.discord.control.failRest({ bot: 'beta', route: 'GET /channels/:id/messages', hang: true, count: 1 })
    try {
      const inFlight = stack.get(
        `/api/messages?channelId=${stack.discord.world.ids.generalChannel}&${VIA_DISCORD}`,
        sessionId,
      )
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

  test('a hung worker: the health check restarts it, and says it hung', async () => {
    // the hang is the subject here: a short health-check deadline, which the spinning worker can never meet
    const hanging = await startStack({ ...FAST, HEALTH_CHECK_TIMEOUT_MS: '500' })
    try {
      const token = hanging.discord.tokens.gamma
      const victim = await hanging.login(token)
      await breakBot(hanging, token, 'hang')
      // the spin starts on the worker's next tick: a check before it may still be answered, so check until one is not
      await waitFor(
        async () => {
          await hanging.service.pool.checkHealth()
          return snapshotOf(hanging, token)!.restarts > 0
        },
        { timeoutMs: 15_000 },
      )
      expect(snapshotOf(hanging, token)!.lastExit!.reason).toStartWith('hung')
      expect(hanging.logs.some((line) => line.includes('"msg":"worker hung"'))).toBe(true)
      const again = await waitFor(async () => {
        const reply = await hanging.get('/api/session', victim.sessionId)
        return reply.status === 200 ? reply : undefined
      })
      expect(again.json.worker.ready).toBe(true)
    } finally {
      await hanging.stop()
    }
  }, 30_000)

  test('a call into a hung worker answers 504 at the RPC deadline, never hangs', async () => {
    const quiet = await startStack({ ...FAST, RPC_TIMEOUT_MS: '3000' })
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
    const quiet = await startStack({ ...FAST, RPC_TIMEOUT_MS: '3000' })
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

  test('a worker past the heap watermark is recycled on its own memory report (no health check), logged and counted as a recycle', async () => {
    const small = await startStack({ ...FAST, WORKER_MAX_HEAP_MB: '100' })
    try {
      const token = small.discord.tokens.solo
      const { sessionId } = await small.login(token)
      const identifies = small.discord.counters().identifies.solo
      await breakBot(small, token, 'grow')
      // health checks never run in this stack: only the worker's own push can show the heap
      await waitFor(() => snapshotOf(small, token)?.lastExit?.reason.startsWith('memory'), { timeoutMs: 15_000 })
      const again = await waitFor(async () =>
        (await small.get('/api/session', sessionId)).status === 200 ? true : undefined,
      )
      expect(again).toBe(true)
      expect(snapshotOf(small, token)!.restarts).toBe(1)
      const recycled = small.logs.filter((line) => line.includes('"msg":"recycling worker"'))
      expect(recycled).toHaveLength(1)
      expect(recycled[0]).toContain('"reason":"memory: heap')
      expect(small.logs.some((line) => line.includes('"msg":"worker crashed"'))).toBe(false)
      const metrics = await small.request('GET', '/metrics', {
        headers: { authorization: `Bearer ${small.service.adminToken}` },
      })
      expect(metrics.text).toContain('botvisor_worker_restarts_total{cause="memory"} 1')
      // terminated rather than logged out, so the new worker RESUMEs: no IDENTIFY spent
      expect(small.discord.counters().identifies.solo).toBe(identifies)
    } finally {
      await small.stop()
    }
  }, 30_000)
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

      // every answer names the last error, whichever path serves it
      for (const path of [
        '/api/guilds',
        '/api/session',
        `/api/members?guildId=${strict.discord.world.ids.soloGuild}`,
      ]) {
        const reply = await strict.get(path, sessionId)
        expect(reply.status).toBe(503)
        expect(reply.json.code).toBe('bot_unavailable')
        expect(reply.json.error).toContain(
          'restarts within 60000 ms; last: exited with code 1); an admin must restart it',
        )
      }

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
      // not only the first: every request of the session says so, on every path
      for (const path of ['/api/guilds', '/api/session', '/api/channels', '/api/guilds']) {
        const again = await revoking.get(path, sessionId)
        expect(again.status).toBe(401)
        expect(again.json).toEqual({ error: 'Discord rejected the token; log in again', code: 'unauthorized' })
      }
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

describe('a login that does not finish names who was slow', () => {
  test('a worker that hangs while logging in: 504 bot_timeout, and no worker is left', async () => {
    const hung = await startStack({
      WORKER_TEST_HOOKS: '1',
      WORKER_TEST_START_FAULT: 'hang',
      LOGIN_TIMEOUT_MS: '1000',
      RPC_TIMEOUT_MS: '1000',
    })
    try {
      const reply = await hung.post('/api/auth/login', { token: hung.discord.tokens.solo })
      expect(reply.status).toBe(504)
      expect(reply.json.code).toBe('bot_timeout')
      expect(reply.json.error).toContain('worker did not answer')
      expect(hung.service.pool.list()).toHaveLength(0)
      await waitFor(() => hung.logs.some((line) => line.includes('"msg":"worker exited"')))
    } finally {
      await hung.stop()
    }
  }, 30_000)

  test('Discord not answering during login: 504 discord_timeout, reported by the worker before its deadline', async () => {
    const slow = await startStack({ LOGIN_TIMEOUT_MS: '3000', RPC_TIMEOUT_MS: '2000' })
    try {
      slow.discord.control.failRest({ route: 'GET /gateway/bot', hang: true })
      const reply = await slow.post('/api/auth/login', { token: slow.discord.tokens.solo })
      expect(reply.status).toBe(504)
      expect(reply.json).toEqual({ error: 'Discord did not answer in time', code: 'discord_timeout' })
      expect(slow.service.pool.list()).toHaveLength(0)
    } finally {
      slow.discord.control.clearFaults()
      await slow.stop()
    }
  }, 30_000)
})

describe('answers name what really happened', () => {
  test('a request cut off because logout stopped its bot gets 401 (session ended), not 503 with Retry-After', async () => {
    const own = await startStack(FAST)
    try {
      const { sessionId } = await own.login(own.discord.tokens.beta)
      own.discord.control.failRest({ bot: 'beta', route: 'GET /channels/:id/messages', hang: true, count: 1 })
      const inFlight = own.get(
        `/api/messages?channelId=${own.discord.world.ids.generalChannel}&${VIA_DISCORD}`,
        sessionId,
      )
      await waitFor(() => (own.discord.counters().rest.beta?.['GET /channels/:id/messages'] ?? 0) > 0)
      expect((await own.post('/api/auth/logout', {}, sessionId)).status).toBe(200)
      const reply = await inFlight
      expect(reply.status).toBe(401)
      expect(reply.json).toEqual({
        error: 'The session ended: its bot was logged out; log in again',
        code: 'unauthorized',
      })
      expect(reply.headers.get('retry-after')).toBeNull()
    } finally {
      own.discord.control.clearFaults()
      await own.stop()
    }
  }, 30_000)

  test('admin identifiesLeft follows what each start sees, also a restart that refuses to IDENTIFY', async () => {
    // every automatic restart that must IDENTIFY refuses: the reserve is the whole day's budget
    const frugal = await startStack({ ...FAST, IDENTIFY_RESERVE: '1000' })
    try {
      const token = frugal.discord.tokens.solo
      const { sessionId } = await frugal.login(token)
      const identified = frugal.discord.counters().identifies.solo ?? 0
      expect(snapshotOf(frugal, token)!.identity.identifiesLeft).toBe(1000 - identified)
      // Discord ends the session (invalid sequence): discord.js IDENTIFYs again inside the same worker
      frugal.discord.control.closeGateway('solo', 4007)
      // (@discordjs/ws spaces IDENTIFYs 5 s apart, as Discord asks)
      await waitFor(() => (frugal.discord.counters().identifies.solo ?? 0) === identified + 1, { timeoutMs: 15_000 })
      await waitFor(() => snapshotOf(frugal, token)!.state === 'ready')
      // the crash restart cannot rebuild READY from REST, so it would have to IDENTIFY
      frugal.discord.control.failRest({ bot: 'solo', route: 'GET /users/@me/guilds', status: 503 })
      await breakBot(frugal, token, 'exit')
      await waitFor(() => snapshotOf(frugal, token)!.state === 'failed')
      const left = 1000 - (identified + 1)
      expect(snapshotOf(frugal, token)!.identity.identifiesLeft).toBe(left)
      const admin = await frugal.request('GET', '/admin/workers', {
        headers: { authorization: `Bearer ${frugal.service.adminToken}` },
      })
      expect(admin.json[0].identifiesLeft).toBe(left)
      const reply = await frugal.get('/api/guilds', sessionId)
      expect(reply.status).toBe(503)
      expect(reply.json.error).toContain(`refusing to IDENTIFY: only ${left} IDENTIFYs left today`)
    } finally {
      frugal.discord.control.clearFaults()
      await frugal.stop()
    }
  }, 30_000)
})
