import { nanoid } from 'nanoid'
import type { Config } from '../config.ts'
import type { SharedInvalidBudget } from '../discord/invalid-budget.ts'
import { AppError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { createLimiter } from './limiter.ts'
import { createSpawner, type SpawnerHooks } from './spawner.ts'
import type { BotHandle, SupervisedBot, SupervisorDeps, WorkerSnapshot } from './bot-types.ts'
import type { GatewaySession } from '../contract.ts'
import type { StopCause } from './lifecycle.ts'
import { superviseBot } from './supervisor.ts'

export interface BotPool {
  /**
   * The bot's running worker, started and logged in if needed; one worker per token, ever. Takes a lease on
   * the bot before its first await, so a release racing this login cannot stop the bot under it; the lease
   * is dropped again if the login fails. Each session holds one lease.
   */
  acquire(token: string, options?: AcquireOptions): Promise<BotHandle>
  get(botKey: string): BotHandle | undefined
  /** Discord refused this bot's token after it logged in: its sessions must end. */
  wasRevoked(botKey: string): boolean
  /**
   * Drops one lease taken on the bot instance `workerId` (a session ended); the last one logs the bot out.
   * A lease on an instance that is gone (revoked, removed, replaced) is gone with it.
   */
  release(botKey: string, workerId: string): Promise<void>
  /** Leases held on the bot: its sessions, plus logins under way. */
  leases(botKey: string): number
  /** Stopped workers kept for the next login. */
  idleWorkers(): number
  list(): BotHandle[]
  snapshots(): WorkerSnapshot[]
  snapshot(workerId: string): WorkerSnapshot | undefined
  /** Admin: a fresh worker for this bot, from any state (also out of `failed`). */
  restart(workerId: string): Promise<WorkerSnapshot | undefined>
  /** Admin: stops the bot; returns its bot key so its sessions can be ended. */
  remove(workerId: string): Promise<string | undefined>
  /** One round of health checks (the pool also runs them on its own timer). */
  checkHealth(): Promise<void>
  /**
   * After a restart of the service: starts each bot again (LOGIN_CONCURRENCY at a time, in the order given) under
   * the worker id its sessions hold, with one lease per session, RESUMEing its stored gateway session. Each bot is
   * in the pool at once (starting), so a request for it waits RESTART_WAIT_MS as for a restarting worker.
   */
  restore(bots: readonly RestoredBot[]): void
  /** Stops every bot; their gateway sessions are kept resumable (a shutdown suspends, it does not log out). */
  stopAll(): Promise<void>
}

export type RestoredBot = {
  token: string
  workerId: string
  /** The sessions that hold a lease on this bot instance. */
  leases: number
  intents: number
  session: GatewaySession | null
}

export type AcquireOptions = {
  /** The client went away: stop waiting, and cancel the start if no one else waits for it. */
  signal?: AbortSignal
}

/** The token itself is the credential: the pool files bots under a hash of it. */
export const botKeyOf = (token: string): string => new Bun.CryptoHasher('sha256').update(token).digest('hex')

export type PoolHooks = Pick<SupervisorDeps, 'onTransition' | 'onRpc' | 'onLifecycle' | 'onEvents'> &
  SpawnerHooks & {
    onStats?: (snapshot: WorkerSnapshot) => void
    /** Discord refused the bot's token: what serves its sessions (live event streams) ends too. */
    onBotRevoked?: (botKey: string) => void
    /**
     * A login got its bot, before the caller has it: a store makes the bot durable here (a failure fails the
     * login and gives its lease back).
     */
    onAcquired?: (token: string, bot: BotHandle) => Promise<void>
    /** The bot stopped for good (its last session ended, an admin removed it, Discord revoked it): awaited. */
    onStopped?: (botKey: string, cause: StopCause) => Promise<void>
    /** Runs in the bot's start slot before each of its workers starts (event ids are reserved there). */
    beforeStart?: (token: string) => Promise<void>
    /** The gateway session the bot's supervisor holds now: stored for a RESUME after a restart. */
    onGatewaySession?: (botKey: string, session: GatewaySession | null) => void
  }

/** A bot and the leases on it; the count lives here, beside the bot, so joining and leaving are one step each. */
type Entry = { bot: SupervisedBot; leases: number }

export function createPool(deps: {
  config: Config
  log: Logger
  hooks?: PoolHooks
  /** Shared with every worker, which counts Discord's invalid answers into it and checks it before each call. */
  budget?: SharedInvalidBudget
}): BotPool {
  const { config, log, hooks = {} } = deps
  const entries = new Map<string, Entry>()
  const bots = () => [...entries.values()].map((entry) => entry.bot)
  const revoked = new Set<string>()
  const startSlots = createLimiter(config.LOGIN_CONCURRENCY)
  const spawner = createSpawner({
    rpcTimeoutMs: config.RPC_TIMEOUT_MS,
    spares: config.WARM_SPARE_WORKERS,
    bytecode: config.WORKER_BYTECODE,
    maxIdle: config.IDLE_WORKERS,
    maxHeapBytes: (config.WORKER_MAX_HEAP_MB * 1_048_576) / 2,
    botsPerWorker: config.BOTS_PER_WORKER,
    hooks,
  })
  const byWorkerId = (workerId: string) => bots().find((bot) => bot.workerId === workerId)

  const budgetShare = (botKey: string) => {
    const { budget } = deps
    if (!budget) return null
    // a bot that logs out and back in keeps its slot, and its count, while the window holds any of it
    const botSlot = budget.slotFor(botKey, (key) => entries.has(key))
    return { buffer: budget.buffer, botSlot, ipLimit: budget.limit, botLimit: budget.botLimit }
  }

  // each start first runs beforeStart in its slot: a store failure there is logged, the start goes on
  const prepared = (token: string): SupervisorDeps['startSlots'] =>
    hooks.beforeStart
      ? (task) =>
          startSlots(async () => {
            await hooks.beforeStart?.(token).catch((err: unknown) => log.error({ err }, 'preparing a start failed'))
            return task()
          })
      : startSlots

  function launch(
    botKey: string,
    token: string,
    restored?: { workerId: string; session: GatewaySession | null; intents: number },
  ): Entry {
    const workerId = restored?.workerId ?? nanoid(10)
    // the bot id is known once logged in: bind it when a line is written, not when the worker is taken
    const workerLog = () => log.child({ worker: workerId, bot: entry.bot.identity.botId || undefined })
    const bot: SupervisedBot = superviseBot({
      config,
      log,
      token,
      botKey,
      workerId,
      takeWorker: () => spawner.take(workerLog),
      invalidBudget: budgetShare(botKey),
      startSlots: prepared(token),
      ...(restored ? { restored: { session: restored.session, intents: restored.intents } } : {}),
      onRevoked: () => {
        revoked.add(botKey)
        if (entries.get(botKey)?.bot === bot) entries.delete(botKey)
        hooks.onBotRevoked?.(botKey)
        void hooks.onStopped?.(botKey, 'revoked').catch((err: unknown) => log.error({ err }, 'storing a stop failed'))
      },
      ...hooks,
      onGatewaySession: (session) => hooks.onGatewaySession?.(botKey, session),
    })
    const entry: Entry = { bot, leases: 0 }
    entries.set(botKey, entry)
    bot.firstStart.catch(() => {
      if (entries.get(botKey) === entry) entries.delete(botKey) // a failed login leaves no worker behind
    })
    return entry
  }

  /** Drops one lease; the last one stops the bot (a session ended, or the only login waiting gave up). */
  async function dropLease(entry: Entry, reason: string) {
    entry.leases -= 1
    if (entry.leases > 0 || entries.get(entry.bot.botKey) !== entry) return
    entries.delete(entry.bot.botKey)
    await entry.bot.stop(reason, 'released')
    await hooks.onStopped?.(entry.bot.botKey, 'released')
  }

  /**
   * The lease is taken by the caller, synchronously; this gives it back if the login fails, or when the login
   * is abandoned: its client disconnected, or it waited LOGIN_WAIT_MS (queue included). A start no one waits
   * for any more is cancelled, which frees its start slot for the next login.
   */
  async function leased(entry: Entry, token: string, signal: AbortSignal | undefined): Promise<BotHandle> {
    const gaveUp = Promise.withResolvers<'aborted' | 'timeout'>()
    const timer = setTimeout(() => gaveUp.resolve('timeout'), config.LOGIN_WAIT_MS)
    const onAbort = () => gaveUp.resolve('aborted')
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
    let outcome: BotHandle | 'aborted' | 'timeout'
    try {
      outcome = await Promise.race([entry.bot.firstStart, gaveUp.promise])
    } catch (err) {
      entry.leases -= 1
      throw err
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    if (typeof outcome !== 'string') {
      const bot = outcome
      // durable before the login answers: a store that cannot keep the bot fails the login
      await hooks.onAcquired?.(token, bot).catch(async (err: unknown) => {
        await dropLease(entry, 'login could not be stored')
        throw err
      })
      return bot
    }
    void dropLease(entry, outcome === 'aborted' ? 'login abandoned by its client' : 'login waited too long')
    // an aborted login's answer reaches no one; it is still logged, as what happened
    const why = outcome === 'aborted' ? 'The login was abandoned by its client' : 'The bot did not start in time'
    throw new AppError(503, 'bot_unavailable', `${why}; retry`, { headers: { 'Retry-After': '5' } })
  }

  async function checkHealth() {
    await Promise.all(
      bots().map(async (bot) => {
        if (await bot.checkHealth()) hooks.onStats?.(bot.snapshot())
      }),
    )
  }
  const healthTimer = setInterval(() => void checkHealth(), config.HEALTH_CHECK_INTERVAL_MS) // checkHealth never rejects

  return {
    // no await before the lease is taken: that is what makes joining atomic against release()
    async acquire(token, options = {}) {
      const botKey = botKeyOf(token)
      const existing = entries.get(botKey)
      if (existing && existing.bot.state() !== 'stopping') {
        const refusal = existing.bot.refusal()
        if (refusal) throw refusal
        if (existing.leases >= config.MAX_SESSIONS_PER_BOT) {
          // 429, not 409: nothing conflicts, the client asks for more of a counted resource (issue #13). Every 429
          // of this API carries Retry-After; a minute is a hint only, as a place frees when a session ends.
          throw new AppError(
            429,
            'capacity_reached',
            `This bot already has its maximum of ${config.MAX_SESSIONS_PER_BOT} sessions (MAX_SESSIONS_PER_BOT); log one out first`,
            { headers: { 'Retry-After': '60' } },
          )
        }
        existing.leases += 1
        return leased(existing, token, options.signal)
      }
      if (entries.size >= config.MAX_BOTS) {
        throw new AppError(503, 'capacity_reached', `This service runs its maximum of ${config.MAX_BOTS} bots`, {
          headers: { 'Retry-After': '30' },
        })
      }
      revoked.delete(botKey)
      const entry = launch(botKey, token)
      entry.leases = 1
      return leased(entry, token, options.signal)
    },
    get: (botKey) => entries.get(botKey)?.bot,
    wasRevoked: (botKey) => revoked.has(botKey),
    async release(botKey, workerId) {
      const entry = entries.get(botKey)
      if (!entry || entry.bot.workerId !== workerId) return
      await dropLease(entry, 'last session ended')
    },
    leases: (botKey) => entries.get(botKey)?.leases ?? 0,
    idleWorkers: () => spawner.idleCount(),
    list: bots,
    snapshots: () => bots().map((bot) => bot.snapshot()),
    snapshot: (workerId) => byWorkerId(workerId)?.snapshot(),
    async restart(workerId) {
      const bot = byWorkerId(workerId)
      if (!bot) return undefined
      await bot.restart('admin request')
      return bot.snapshot()
    },
    async remove(workerId) {
      const bot = byWorkerId(workerId)
      if (!bot) return undefined
      entries.delete(bot.botKey)
      await bot.stop('removed by an admin', 'removed')
      await hooks.onStopped?.(bot.botKey, 'removed')
      return bot.botKey
    },
    checkHealth,
    restore(restored) {
      for (const bot of restored) {
        const botKey = botKeyOf(bot.token)
        if (entries.has(botKey)) continue
        const entry = launch(botKey, bot.token, bot)
        entry.leases = bot.leases
      }
    },
    async stopAll() {
      clearInterval(healthTimer)
      spawner.stop()
      const stopping = bots()
      entries.clear()
      await Promise.all(stopping.map((bot) => bot.stop('service shutting down', 'shutdown')))
    },
  }
}
