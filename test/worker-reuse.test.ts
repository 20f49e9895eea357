import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { botKeyOf } from '../src/pool/pool.ts'
import { startStack, waitFor, type Stack } from './support/stack.ts'
import { readMetric } from './support/metrics.ts'

let stack: Stack
beforeAll(async () => {
  // health checks only when a test asks: a timer's check would restart the hung worker on its own
  stack = await startStack({
    IDLE_WORKERS: '2',
    WARM_SPARE_WORKERS: '1',
    METRICS_PUBLIC: '1',
    WORKER_TEST_HOOKS: '1',
    HEALTH_CHECK_INTERVAL_MS: '600000',
  })
})
afterAll(() => stack.stop())

const metric = (series: string) => readMetric(stack, series)
const idle = () => stack.service.pool.idleWorkers()

/** Login, then wait for the spare the login used to be replaced, so every count below is settled. */
async function login(token: string) {
  const { sessionId } = await stack.login(token)
  await waitFor(() => idle() >= 1)
  return sessionId
}
async function logout(sessionId: string, token: string) {
  expect((await stack.post('/api/auth/logout', {}, sessionId)).status).toBe(200)
  await waitFor(() => stack.service.pool.get(botKeyOf(token)) === undefined)
}

describe('workers are reused across logins, bounded, and carry nothing of the bot before', () => {
  test('bot A logs out, bot B logs in on the same worker and sees only its own guilds, channels and messages', async () => {
    const { tokens, world } = stack.discord
    const { ids } = world
    const alpha = await login(tokens.alpha)
    // fill the worker with alpha's state: guilds and channels (pushed), newest messages (its message cache)
    expect((await stack.get('/api/guilds', alpha)).json.length).toBe(3)
    expect((await stack.get(`/api/channels?guildId=${ids.bigGuild}`, alpha)).status).toBe(200)
    const alphaMessages = await stack.get(`/api/messages?channelId=${ids.generalChannel}&limit=5`, alpha)
    expect(alphaMessages.status).toBe(200)
    expect(alphaMessages.json.length).toBeGreaterThan(0)

    const idleBefore = idle()
    await logout(alpha, tokens.alpha)
    await waitFor(() => idle() === idleBefore + 1) // alpha's worker, reset and kept
    expect(stack.discord.counters().openConnections.alpha ?? 0).toBe(0)
    const spawned = await metric('botvisor_workers_spawned_total')
    const reused = await metric('botvisor_workers_reused_total')

    const solo = await stack.login(tokens.solo).then((r) => r.sessionId)
    expect(await metric('botvisor_workers_reused_total')).toBe(reused + 1)
    expect(await metric('botvisor_workers_spawned_total')).toBe(spawned)

    const guilds = (await stack.get('/api/guilds', solo)).json as { id: string }[]
    expect(guilds.map((guild) => guild.id)).toEqual([ids.soloGuild])
    const channels = (await stack.get('/api/channels', solo)).json as { id: string }[]
    expect(channels.map((channel) => channel.id)).toContain(ids.soloGeneralChannel)
    expect(channels.map((channel) => channel.id)).not.toContain(ids.generalChannel)
    expect((await stack.get(`/api/channels?guildId=${ids.bigGuild}`, solo)).status).toBe(403)
    // alpha's cached page of this channel must not answer for solo, who is not in its guild
    const leaked = await stack.get(`/api/messages?channelId=${ids.generalChannel}&limit=5`, solo)
    expect(leaked.status).not.toBe(200)
    expect(leaked.text).not.toContain(alphaMessages.json[0].id)
    await logout(solo, tokens.solo)
  })

  test('login/logout churn spawns no new worker and keeps at most IDLE_WORKERS idle', async () => {
    const { tokens } = stack.discord
    // from a full idle pool, whatever ran before: the first login after start-up takes the spare and spawns its refill
    const warmUp = (await stack.login(tokens.solo)).sessionId
    await logout(warmUp, tokens.solo)
    await waitFor(() => idle() === 2)
    const spawned = await metric('botvisor_workers_spawned_total')
    const reused = await metric('botvisor_workers_reused_total')
    const order = [tokens.alpha, tokens.beta, tokens.solo, tokens.alpha, tokens.beta, tokens.solo]
    for (const token of order) {
      const sessionId = (await stack.login(token)).sessionId
      expect((await stack.get('/api/guilds', sessionId)).status).toBe(200)
      await logout(sessionId, token)
      await waitFor(() => idle() === 2)
    }
    expect(await metric('botvisor_workers_spawned_total')).toBe(spawned)
    expect(await metric('botvisor_workers_reused_total')).toBe(reused + order.length)
    expect(await metric('botvisor_workers_idle')).toBe(2)
  })

  test('a worker whose stop did not finish (hung) is terminated, never kept for the next login', async () => {
    const { tokens } = stack.discord
    const sessionId = await login(tokens.beta) // settled: the spare this login took is replaced
    const bot = stack.service.pool.get(botKeyOf(tokens.beta))!
    const idleBefore = idle()
    await bot.call((worker) => worker.injectFault('hang'))
    // the fault spins from the worker's next timer: hung once a call that it answered before goes unanswered
    await waitFor(() =>
      bot
        .call((worker) => worker.stats(), 300)
        .then(
          () => false,
          () => true,
        ),
    )
    expect((await stack.post('/api/auth/logout', {}, sessionId)).status).toBe(200)
    // terminated: Discord sees its connection drop
    await waitFor(() => (stack.discord.counters().openConnections.beta ?? 0) === 0, { timeoutMs: 10_000 })
    expect(idle()).toBe(idleBefore)
    expect(stack.service.pool.get(botKeyOf(tokens.beta))).toBeUndefined()
  })
})

test('a worker stopped while its login was still under way is terminated, not kept: its reset is not clean', async () => {
  // Discord never answering GET /gateway/bot keeps the login in flight for RPC_TIMEOUT_MS / 2 per attempt
  const slow = await startStack({
    IDLE_WORKERS: '2',
    WARM_SPARE_WORKERS: '1',
    RPC_TIMEOUT_MS: '20000',
    HEALTH_CHECK_INTERVAL_MS: '600000',
  })
  try {
    const token = slow.discord.tokens.solo
    await waitFor(() => slow.service.pool.idleWorkers() === 1)
    slow.discord.control.failRest({ bot: 'solo', route: 'GET /gateway/bot', hang: true })
    const login = slow.post('/api/auth/login', { token })
    await waitFor(() => (slow.discord.counters().rest.solo?.['GET /gateway/bot'] ?? 0) > 0) // the login is under way
    const bot = slow.service.pool.get(botKeyOf(token))!
    const idleBefore = slow.service.pool.idleWorkers() // the spare's replacement, once spawned
    expect(await slow.service.pool.remove(bot.workerId)).toBe(bot.botKey)
    expect((await login).status).toBe(503)
    expect(slow.service.pool.idleWorkers()).toBeLessThanOrEqual(idleBefore)
    expect(slow.logs.some((line) => line.includes('a login is still under way'))).toBe(true)
  } finally {
    slow.discord.control.clearFaults()
    await slow.stop()
  }
})
