import type { Config } from '../config.ts'
import type { BotIdentity, BotStartOptions, BotStats, GatewaySession, WorkerPush } from '../contract.ts'
import type { AppError } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { StopCause } from './lifecycle.ts'
import type { BotCache } from './bot-cache.ts'
import type { WorkerCall } from './remote.ts'
import type { LentWorker } from './spawner.ts'

/**
 * starting: a worker is logging in · ready: serving · reconnecting: discord.js is resuming the gateway ·
 * restarting: crashed, waiting out its backoff · failed: too many restarts, until an admin restarts it ·
 * stopping: logging out for good.
 */
export type WorkerState = 'starting' | 'ready' | 'reconnecting' | 'restarting' | 'failed' | 'stopping'
export const WORKER_STATES: readonly WorkerState[] = [
  'starting',
  'ready',
  'reconnecting',
  'restarting',
  'failed',
  'stopping',
]

export type WorkerSnapshot = {
  workerId: string
  botId: string
  botName: string
  state: WorkerState
  stateSince: number
  startedAt: number
  restarts: number
  lastExit: { reason: string; at: number } | null
  lastError: string | null
  identity: BotIdentity
  stats: BotStats | null
  rpcP50Ms: number | null
  rpcP99Ms: number | null
  eventsPerSecond: number
}

/** One bot as the routes see it: never its discord.js objects, only calls into whichever worker serves it. */
export type BotHandle = {
  botKey: string
  workerId: string
  identity: BotIdentity
  state(): WorkerState
  /** The error a request to this bot gets right now (failed, stopping, revoked); undefined while it serves or restarts. */
  refusal(): AppError | undefined
  call: WorkerCall
  /** Guild and channel lists the worker keeps fresh: served without an RPC. */
  cache: BotCache
}

export type SupervisedBot = BotHandle & {
  /** Settles with the first login: a failure there is the caller's answer, not a reason to restart. */
  firstStart: Promise<BotHandle>
  restart(reason: string): Promise<void>
  /** Resolves once its worker is gone. `cause` decides what calls cut off by the stop are told. */
  stop(reason: string, cause?: StopCause): Promise<void>
  checkHealth(): Promise<BotStats | undefined>
  snapshot(): WorkerSnapshot
}

export type SupervisorDeps = {
  config: Config
  log: Logger
  takeWorker: () => LentWorker
  /** Bounds how many workers start at once, across all bots. */
  startSlots: <T>(task: () => Promise<T>) => Promise<T>
  /** Discord refused the token (close 4004, or a 401 confirmed by GET /users/@me). */
  onRevoked: () => void
  onTransition?: (from: WorkerState, to: WorkerState, reason: string) => void
  /** The same transitions with the bot they concern (once it is known): the live events' lifecycle types. */
  onLifecycle?: (change: {
    botId: string
    from: WorkerState
    to: WorkerState
    reason: string
    resumed: boolean
  }) => void
  /** Gateway dispatches a worker forwarded, whichever generation: the gateway drops replays by sequence. */
  onEvents?: (push: Extract<WorkerPush, { botvisor: 'events' }>) => void
  onRpc?: (ms: number) => void
  /** Time is an input: tests pass their own clock to fire the restart timer and the waits themselves. */
  clock?: Clock
  /** The restart jitter's roll in [0, 1]. */
  random?: () => number
  /** The shared invalid-request window and this bot's slot in it, handed to each worker it starts. */
  invalidBudget?: BotStartOptions['invalidBudget']
  /** The bot's gateway session as the supervisor now holds it (a live worker's push, or a suspended one's last word). */
  onGatewaySession?: (session: GatewaySession | null) => void
  /**
   * The bot comes back after a restart of the service (pool.restore): its first start RESUMEs this session, or
   * IDENTIFYs within IDENTIFY_RESERVE, with the intents it ran with.
   */
  restored?: { session: GatewaySession | null; intents: number }
}

export type Clock = {
  now(): number
  setTimeout(run: () => void, ms: number): unknown
  clearTimeout(timer: unknown): void
}
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
}
