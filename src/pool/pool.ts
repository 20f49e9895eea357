import { nanoid } from 'nanoid'
import type { Config } from '../config.ts'
import type { BotIdentity } from '../contract.ts'
import { AppError, fromRpcFailure } from '../errors.ts'
import type { Logger } from '../log.ts'
import { createBotCache, type BotCache } from './bot-cache.ts'
import { connectWorker, type ConnectedWorker, type WorkerCall } from './remote.ts'

const WORKER_URL = new URL('../../workers/bot.worker.ts', import.meta.url)
/** A clean stop gets this long to destroy its client before the worker is terminated anyway. */
const STOP_GRACE_MS = 2_000

export type BotState = 'starting' | 'ready' | 'exited'

/** One bot as the gateway sees it: never its discord.js objects, only a way to call its worker. */
export type BotHandle = {
  botKey: string
  workerId: string
  identity: BotIdentity
  startedAt: number
  state(): BotState
  exitReason(): string | undefined
  call: WorkerCall
  /** Guild and channel lists the worker keeps fresh: served without an RPC. */
  cache: BotCache
}

export interface BotPool {
  /** The bot's running worker, started and logged in if needed; one worker per token, ever. */
  acquire(token: string): Promise<BotHandle>
  get(botKey: string): BotHandle | undefined
  /** Logs the bot out and ends its worker (its last session ended). */
  release(botKey: string): Promise<void>
  list(): BotHandle[]
  stopAll(): Promise<void>
}

/** The token itself is the credential: the pool files bots under a hash of it. */
export const botKeyOf = (token: string): string => new Bun.CryptoHasher('sha256').update(token).digest('hex')

type Entry = { starting: Promise<BotHandle>; worker: ConnectedWorker; cache: BotCache; handle?: BotHandle }

export function createPool(deps: { config: Config; log: Logger }): BotPool {
  const { config, log } = deps
  const entries = new Map<string, Entry>()

  type Spawned = { worker: ConnectedWorker; cache: BotCache }
  function spawn(): Spawned {
    const cache = createBotCache()
    const worker = new Worker(WORKER_URL, { type: 'module' })
    // listeners go on before any await: a message sent before we listen is lost (FACTS.md)
    return { worker: connectWorker(worker, config.RPC_TIMEOUT_MS, cache.apply), cache }
  }

  // A spare worker with discord.js already loaded: a login skips the ~200 ms cold spawn (FACTS.md).
  let spare: Spawned | undefined
  let refill: ReturnType<typeof setTimeout> | undefined
  function takeWorker(): Spawned {
    const taken = spare?.worker.isAlive() ? spare : spawn()
    spare = undefined
    if (config.WARM_SPARE_WORKERS > 0 && refill === undefined) {
      // after this login's burst, not during it: spawning is CPU-bound on a 2-core box
      refill = setTimeout(() => {
        refill = undefined
        spare ??= spawn()
      }, 50)
    }
    return taken
  }

  async function start(botKey: string, token: string, workerId: string, worker: ConnectedWorker, cache: BotCache): Promise<BotHandle> {
    const startedAt = Date.now()
    // 4014 makes the worker log in twice (with, then without privileged intents): allow both.
    const result = await worker
      .call(
        (bot) =>
          bot.start({
            token,
            apiUrl: config.DISCORD_API_URL,
            intents: config.DISCORD_INTENTS,
            loginTimeoutMs: config.LOGIN_TIMEOUT_MS,
            requestDeadlineMs: config.RPC_TIMEOUT_MS,
            testHooks: config.WORKER_TEST_HOOKS,
          }),
        config.LOGIN_TIMEOUT_MS * 2 + 1_000,
      )
      .catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'bot_timeout') {
          throw new AppError(504, 'discord_timeout', 'Discord did not complete the login in time')
        }
        throw err
      })
    if (!result.ok) {
      if (result.status === 401) throw new AppError(401, 'unauthorized', 'Discord rejected the token')
      throw fromRpcFailure(result)
    }
    const workerLog = log.child({ worker: workerId, bot: result.value.botId })
    workerLog.info({ guilds: result.value.guildCount, intents: result.value.intents, ms: Date.now() - startedAt }, 'worker started')
    let exitReason: string | undefined
    void worker.exited.then((why) => {
      exitReason = why
      // an exit we asked for removes the entry first; anything else is a crash
      if (entries.get(botKey)?.worker === worker) workerLog.warn({ reason: why }, 'worker exited unexpectedly')
      else workerLog.info({ reason: why }, 'worker exited')
    })
    return {
      botKey,
      workerId,
      identity: result.value,
      startedAt,
      state: () => (exitReason !== undefined ? 'exited' : 'ready'),
      exitReason: () => exitReason,
      call: worker.call,
      cache,
    }
  }

  function launch(botKey: string, token: string): Entry {
    const workerId = nanoid(10)
    const { worker, cache } = takeWorker()
    const entry: Entry = { worker, cache, starting: start(botKey, token, workerId, worker, cache) }
    entries.set(botKey, entry)
    entry.starting.then(
      (handle) => {
        entry.handle = handle
      },
      (err: unknown) => {
        // a failed login leaves no worker behind
        if (entries.get(botKey) === entry) entries.delete(botKey)
        worker.terminate()
        log.info({ worker: workerId, reason: err instanceof AppError ? err.code : 'error' }, 'worker start failed')
      },
    )
    return entry
  }

  async function stopEntry(botKey: string, entry: Entry): Promise<void> {
    if (entries.get(botKey) === entry) entries.delete(botKey)
    if (entry.worker.isAlive()) {
      await entry.worker.call((bot) => bot.stop(), STOP_GRACE_MS).catch(() => {
        // already dead or hung: terminate below settles it either way
      })
    }
    entry.worker.terminate()
    await entry.worker.exited
  }

  if (config.WARM_SPARE_WORKERS > 0) spare = spawn()

  return {
    async acquire(token) {
      const botKey = botKeyOf(token)
      const existing = entries.get(botKey)
      if (existing && existing.worker.isAlive()) return existing.starting
      if (existing) entries.delete(botKey) // its worker died: start afresh, the sessions carry over
      const running = [...entries.values()].filter((entry) => entry.worker.isAlive()).length
      if (running >= config.MAX_BOTS) {
        throw new AppError(503, 'capacity_reached', `This service runs its maximum of ${config.MAX_BOTS} bots`, {
          headers: { 'Retry-After': '30' },
        })
      }
      return launch(botKey, token).starting
    },
    get(botKey) {
      return entries.get(botKey)?.handle
    },
    async release(botKey) {
      const entry = entries.get(botKey)
      if (entry) await stopEntry(botKey, entry)
    },
    list() {
      return [...entries.values()].flatMap((entry) => (entry.handle ? [entry.handle] : []))
    },
    async stopAll() {
      clearTimeout(refill)
      spare?.worker.terminate()
      spare = undefined
      await Promise.all([...entries].map(([botKey, entry]) => stopEntry(botKey, entry)))
    },
  }
}
