import { afterAll, beforeAll, expect, test } from 'bun:test'
import { botKeyOf } from '../src/pool/pool.ts'
import { crashAndWait, startStack, waitFor, type Stack } from './support/stack.ts'
import { readMetric } from './support/metrics.ts'

// BOTS_PER_WORKER=3: the three bots of the fake Discord share one worker thread
let stack: Stack
const sessions = new Map<string, string>()
beforeAll(async () => {
  stack = await startStack({
    BOTS_PER_WORKER: '3',
    IDLE_WORKERS: '1',
    WARM_SPARE_WORKERS: '1',
    METRICS_PUBLIC: '1',
    WORKER_TEST_HOOKS: '1',
    HEALTH_CHECK_INTERVAL_MS: '600000',
  })
})
afterAll(() => stack.stop())

const metric = (series: string) => readMetric(stack, series)
const idle = () => stack.service.pool.idleWorkers()
const guildIdsOf = async (sessionId: string) =>
  ((await stack.get('/api/guilds', sessionId)).json as { id: string }[]).map((guild) => guild.id).sort()

/** Each bot answers with its own guilds: nothing of one bot's client shows through another's. */
async function expectEachSeesItsOwn() {
  const { tokens, world } = stack.discord
  const { ids } = world
  expect(await guildIdsOf(sessions.get(tokens.solo)!)).toEqual([ids.soloGuild])
  expect(await guildIdsOf(sessions.get(tokens.alpha)!)).toContain(ids.bigGuild)
  expect(await guildIdsOf(sessions.get(tokens.alpha)!)).not.toContain(ids.soloGuild)
  const soloChannels = (await stack.get('/api/channels', sessions.get(tokens.solo)!)).json as { id: string }[]
  expect(soloChannels.map((channel) => channel.id)).not.toContain(ids.generalChannel)
  expect((await stack.get(`/api/channels?guildId=${ids.bigGuild}`, sessions.get(tokens.solo)!)).status).toBe(403)
}

test('three bots log in to one worker thread and each sees only its own guilds and channels', async () => {
  const { tokens } = stack.discord
  await waitFor(() => idle() === 1) // the warm spare
  const spawned = await metric('botvisor_workers_spawned_total')
  for (const token of [tokens.alpha, tokens.beta, tokens.solo])
    sessions.set(token, (await stack.login(token)).sessionId)
  // the three joined the spare; only once it was full was a new spare spawned
  await waitFor(() => idle() === 1)
  expect(await metric('botvisor_workers_spawned_total')).toBe(spawned + 1)
  await expectEachSeesItsOwn()
  // a full GC in the shared thread answers the heap it kept: discord.js and three clients
  const bot = stack.service.pool.get(botKeyOf(tokens.solo))!
  const heapAfterGc = await bot.call((worker) => worker.collectGarbage())
  expect(heapAfterGc).toBeGreaterThan(1_000_000)
})

test('a crash in the shared thread restarts every bot it hosted, and each serves its own data again', async () => {
  const { tokens } = stack.discord
  const workerIdOf = (token: string) => stack.service.pool.get(botKeyOf(token))!.workerId
  const restartsOf = (token: string) => stack.service.pool.snapshot(workerIdOf(token))?.restarts ?? 0
  const before = { beta: restartsOf(tokens.beta), solo: restartsOf(tokens.solo) }
  await crashAndWait(stack, tokens.alpha)
  // alpha's crash was the thread's: its neighbours went down with it and were restarted by their own supervisors
  for (const [name, token] of [
    ['beta', tokens.beta],
    ['solo', tokens.solo],
  ] as const) {
    await waitFor(
      () => {
        const snapshot = stack.service.pool.snapshot(workerIdOf(token))
        return snapshot && snapshot.restarts > before[name] && snapshot.state === 'ready'
      },
      { timeoutMs: 15_000 },
    )
  }
  await expectEachSeesItsOwn()
})

test('a bot that logs out leaves the thread to the others, and the next login joins it', async () => {
  const { tokens } = stack.discord
  await waitFor(() => idle() >= 1)
  expect((await stack.post('/api/auth/logout', {}, sessions.get(tokens.solo)!)).status).toBe(200)
  await waitFor(() => stack.service.pool.get(botKeyOf(tokens.solo)) === undefined)
  expect((await stack.get('/api/guilds', sessions.get(tokens.beta)!)).status).toBe(200)
  const spawned = await metric('botvisor_workers_spawned_total')
  sessions.set(tokens.solo, (await stack.login(tokens.solo)).sessionId)
  expect(await metric('botvisor_workers_spawned_total')).toBe(spawned)
  await expectEachSeesItsOwn()
})
