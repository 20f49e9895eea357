import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { GatewayIntentBits } from 'discord-api-types/v10'
import { startFakeDiscord, type FakeDiscord } from '../fake-discord/index.ts'
import { buildWorker } from '../scripts/build-worker.ts'
import type { BotStartOptions } from '../src/contract.ts'
import { watchThread } from '../src/pool/remote.ts'
import { WORKER_SOURCE, workerEntry } from '../src/pool/worker-entry.ts'

let discord: FakeDiscord
let dir: string
let bundle: string
let bytecodeBundle: string
beforeAll(async () => {
  discord = await startFakeDiscord({ port: 0 })
  dir = mkdtempSync(`${tmpdir()}/botvisor-bundle-`)
  bundle = (await buildWorker(`${dir}/bot.worker.js`)).path
  bytecodeBundle = (await buildWorker(`${dir}/bot.worker.bytecode.js`, WORKER_SOURCE, { bytecode: true })).path
})
afterAll(async () => {
  await discord.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** What one worker answers for alpha: its identity, guilds and channels, and how many modules it loaded. */
async function answersOf(entry: string) {
  const thread = watchThread(new Worker(entry, { type: 'module', smol: true }))
  const { call } = thread.attach(20_000)
  try {
    const options: BotStartOptions = {
      token: discord.tokens.alpha,
      apiUrl: discord.apiUrl,
      intents: GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages,
      loginTimeoutMs: 15_000,
      requestDeadlineMs: 5_000,
      identifyReserve: 0,
      resume: null,
      invalidBudget: null,
      refusalCacheMs: 0,
      testHooks: false,
    }
    const started = await call((bot) => bot.start(options))
    if (!started.ok) throw new Error(`start failed: ${started.detail}`)
    const guilds = await call((bot) => bot.listGuilds())
    const channels = await call((bot) => bot.listChannels(discord.world.ids.bigGuild))
    await call((bot) => bot.stop())
    return { identity: { ...started.value, identifiesLeft: 0 }, guilds, channels }
  } finally {
    thread.terminate()
  }
}

describe('the bundled bot worker (scripts/build-worker.ts)', () => {
  test('is one file that logs in and answers exactly as the worker run from source', async () => {
    const fromBundle = await answersOf(bundle)
    const fromSource = await answersOf(WORKER_SOURCE)
    expect(fromBundle.guilds.ok).toBe(true)
    expect(fromBundle.channels.ok).toBe(true)
    expect(fromBundle).toEqual(fromSource)
  })

  test('with bytecode (WORKER_BYTECODE=1): the bytecode is beside it, and it answers as the source does', async () => {
    expect(await Bun.file(`${bytecodeBundle}.jsc`).exists()).toBe(true)
    expect(await answersOf(bytecodeBundle)).toEqual(await answersOf(WORKER_SOURCE))
  })

  test('is what workers start from only while it is newer than every source it was built from', () => {
    const future = new Date(Date.now() + 3_600_000)
    utimesSync(bundle, future, future)
    expect(workerEntry(bundle).pathname).toBe(bundle)
    utimesSync(bundle, new Date(0), new Date(0)) // older than any source: stale
    expect(workerEntry(bundle).pathname).toBe(WORKER_SOURCE)
    expect(workerEntry(`${dir}/missing.js`).pathname).toBe(WORKER_SOURCE)
    writeFileSync(`${dir}/empty.js`, '')
    utimesSync(`${dir}/empty.js`, future, future)
    expect(workerEntry(`${dir}/empty.js`).pathname).toBe(`${dir}/empty.js`) // freshness is by time, as documented
  })
})
