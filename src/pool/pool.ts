import { nanoid } from 'nanoid'
import type { Config } from '../config.ts'
import type { SharedInvalidBudget } from '../discord/invalid-budget.ts'
import { AppError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { createLimiter } from './limiter.ts'
import { createSpawner, type SpawnerHooks } from './spawner.ts'
import type { BotHandle, SupervisedBot, SupervisorDeps, WorkerSnapshot } from './bot-types.ts'
import { superviseBot } from './supervisor.ts'

export interface BotPool {
  /**
   * The bot's running worker, started and logged in if needed; one worker per token, ever. Takes a lease on
   * the bot before its first await, so a release racing this login cannot stop the bot under it; the lease
   * is dropped again if the login fails. Each session holds one lease.
   */
  acquire(token: string): Promise<BotHandle>
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
  stopAll(): Promise<void>
}

/** The token itself is the credential: the pool files bots under a hash of it. */
export const botKeyOf = (token: string): string => new Bun.CryptoHasher('sha256').update(token).digest('hex')

export type PoolHooks = Pick<SupervisorDeps, 'onTransition' | 'onRpc'> &
  SpawnerHooks & {
    onStats?: (snapshot: WorkerSnapshot) => void
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
    maxIdle: config.IDLE_WORKERS,
    maxHeapBytes: (config.WORKER_MAX_HEAP_MB * 1_048_576) / 2,
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

  function launch(botKey: string, token: string): Entry {
    const workerId = nanoid(10)
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
      startSlots,
      onRevoked: () => {
        revoked.add(botKey)
        if (entries.get(botKey)?.bot === bot) entries.delete(botKey)
      },
      ...hooks,
    })
    const entry: Entry = { bot, leases: 0 }
    entries.set(botKey, entry)
    bot.firstStart.catch(() => {
      if (entries.get(botKey) === entry) entries.delete(botKey) // a failed login leaves no worker behind
    })
    return entry
  }

  /** The lease is taken by the caller, synchronously; this gives it back if the login fails. */
  async function leased(entry: Entry): Promise<BotHandle> {
    try {
      return await entry.bot.firstStart
    } catch (err) {
      entry.leases -= 1
      throw err
    }
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
    async acquire(token) {
      const botKey = botKeyOf(token)
      const existing = entries.get(botKey)
      if (existing && existing.bot.state() !== 'stopping') {
        const refusal = existing.bot.refusal()
        if (refusal) throw refusal
        existing.leases += 1
        return leased(existing)
      }
      if (entries.size >= config.MAX_BOTS) {
        throw new AppError(503, 'capacity_reached', `This service runs its maximum of ${config.MAX_BOTS} bots`, {
          headers: { 'Retry-After': '30' },
        })
      }
      revoked.delete(botKey)
      const entry = launch(botKey, token)
      entry.leases = 1
      return leased(entry)
    },
    get: (botKey) => entries.get(botKey)?.bot,
    wasRevoked: (botKey) => revoked.has(botKey),
    async release(botKey, workerId) {
      const entry = entries.get(botKey)
      if (!entry || entry.bot.workerId !== workerId) return
      entry.leases -= 1
      if (entry.leases > 0) return
      entries.delete(botKey)
      await entry.bot.stop('last session ended', 'released')
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
      return bot.botKey
    },
    checkHealth,
    async stopAll() {
      clearInterval(healthTimer)
      spawner.stop()
      const stopping = bots()
      entries.clear()
      await Promise.all(stopping.map((bot) => bot.stop('service shutting down', 'shutdown')))
    },
  }
}
