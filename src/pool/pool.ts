import { nanoid } from 'nanoid'
import type { Config } from '../config.ts'
import { AppError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { createLimiter } from './limiter.ts'
import { createSpawner } from './spawner.ts'
import type { BotHandle, SupervisedBot, SupervisorDeps, WorkerSnapshot } from './bot-types.ts'
import { superviseBot } from './supervisor.ts'


export interface BotPool {
  /** The bot's running worker, started and logged in if needed; one worker per token, ever. */
  acquire(token: string): Promise<BotHandle>
  get(botKey: string): BotHandle | undefined
  /** Discord refused this bot's token after it logged in: its sessions must end. */
  wasRevoked(botKey: string): boolean
  /** Logs the bot out and ends its worker (its last session ended). */
  release(botKey: string): Promise<void>
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

export type PoolHooks = Pick<SupervisorDeps, 'onTransition' | 'onRpc'> & {
  onStats?: (snapshot: WorkerSnapshot) => void
}

export function createPool(deps: { config: Config; log: Logger; hooks?: PoolHooks }): BotPool {
  const { config, log, hooks = {} } = deps
  const bots = new Map<string, SupervisedBot>()
  const revoked = new Set<string>()
  const startSlots = createLimiter(config.LOGIN_CONCURRENCY)
  const spawner = createSpawner({ rpcTimeoutMs: config.RPC_TIMEOUT_MS, spares: config.WARM_SPARE_WORKERS })
  const byWorkerId = (workerId: string) => [...bots.values()].find((bot) => bot.workerId === workerId)

  function launch(botKey: string, token: string): SupervisedBot {
    const bot = superviseBot({
      config,
      log,
      token,
      botKey,
      workerId: nanoid(10),
      takeWorker: spawner.take,
      startSlots,
      onRevoked: () => {
        revoked.add(botKey)
        if (bots.get(botKey) === bot) bots.delete(botKey)
      },
      ...hooks,
    })
    bots.set(botKey, bot)
    bot.firstStart.catch(() => {
      if (bots.get(botKey) === bot) bots.delete(botKey) // a failed login leaves no worker behind
    })
    return bot
  }

  async function checkHealth() {
    await Promise.all(
      [...bots.values()].map(async (bot) => {
        if (await bot.checkHealth()) hooks.onStats?.(bot.snapshot())
      }),
    )
  }
  const healthTimer = setInterval(() => void checkHealth(), config.HEALTH_CHECK_INTERVAL_MS) // checkHealth never rejects

  return {
    async acquire(token) {
      const botKey = botKeyOf(token)
      const existing = bots.get(botKey)
      if (existing && existing.state() !== 'stopping') {
        const refusal = existing.refusal()
        if (refusal) throw refusal
        return existing.firstStart
      }
      if (bots.size >= config.MAX_BOTS) {
        throw new AppError(503, 'capacity_reached', `This service runs its maximum of ${config.MAX_BOTS} bots`, {
          headers: { 'Retry-After': '30' },
        })
      }
      revoked.delete(botKey)
      return launch(botKey, token).firstStart
    },
    get: (botKey) => bots.get(botKey),
    wasRevoked: (botKey) => revoked.has(botKey),
    async release(botKey) {
      const bot = bots.get(botKey)
      if (!bot) return
      bots.delete(botKey)
      await bot.stop('last session ended', 'released')
    },
    list: () => [...bots.values()],
    snapshots: () => [...bots.values()].map((bot) => bot.snapshot()),
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
      bots.delete(bot.botKey)
      await bot.stop('removed by an admin', 'removed')
      return bot.botKey
    },
    checkHealth,
    async stopAll() {
      clearInterval(healthTimer)
      spawner.stop()
      const stopping = [...bots.values()]
      bots.clear()
      await Promise.all(stopping.map((bot) => bot.stop('service shutting down', 'shutdown')))
    },
  }
}
