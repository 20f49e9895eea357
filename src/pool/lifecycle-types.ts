import type { Config } from '../config.ts'
import type { BotIdentity, GatewaySession, RpcFailure } from '../contract.ts'
import type { WorkerState } from './bot-types.ts'
import type { RestartHistory, RestartPolicySettings } from './restart-policy.ts'

/** The data of one bot's worker lifecycle (lifecycle.ts): its state, the events it takes and the effects it asks for. */

/** Why the bot stopped for good. */
export type StopCause = 'released' | 'removed' | 'revoked' | 'shutdown' | 'login_failed'
export type StartKind = 'login' | 'restart' | 'admin'
/** Why a call is not served right now. */
export type Refusal =
  | { kind: 'restarting' }
  | { kind: 'failed'; lastError: string }
  | { kind: 'stopped'; cause: StopCause }
/** How the first login ended when it did not succeed. */
export type LoginFailure =
  | { kind: 'rejected'; failure: RpcFailure } // Discord's answer, as the worker reported it
  | { kind: 'hung' } // the worker did not answer start() within its deadline
  | { kind: 'broke'; detail: string } // the worker threw (our bug) or died while logging in
  | { kind: 'stopped'; cause: StopCause }

export type Lifecycle = {
  readonly phase: WorkerState
  readonly since: number
  readonly generation: number
  /** The current generation's start: waiting for a slot, for the previous worker to be gone, or in start(). */
  readonly start: 'queued' | 'slotted' | 'calling' | null
  /** A live worker of `generation` is ours. */
  readonly worker: boolean
  /** The generation of a worker being stopped: no new worker starts before it is gone. */
  readonly retiring: number | null
  readonly kind: StartKind
  readonly everReady: boolean
  readonly firstLogin: 'pending' | 'settled'
  readonly stopCause: StopCause | null
  readonly lastError: string | null
  readonly lastExit: { reason: string; at: number } | null
  readonly restarts: number
  readonly upSince: number
  readonly history: RestartHistory
  /** Calls waiting for a worker, by id. Only while starting or restarting. */
  readonly waiters: readonly number[]
  readonly identity: BotIdentity
  /** The gateway session the last live worker reported: outlives it, so a restart can RESUME it. */
  readonly session: GatewaySession | null
}

export type LifecycleEvent =
  | { type: 'slot'; generation: number }
  | { type: 'started'; generation: number; identity: BotIdentity }
  | { type: 'startFailed'; generation: number; failure: RpcFailure }
  | { type: 'startBroke'; generation: number; hung: boolean; detail: string }
  | { type: 'exited'; generation: number; reason: string }
  | { type: 'gateway'; generation: number; status: 'reconnecting' | 'ready' | 'revoked' | 'closed'; code?: number }
  | { type: 'hung'; generation: number }
  | { type: 'memory'; generation: number; heapBytes: number }
  | { type: 'identifies'; generation: number; left: number }
  | { type: 'session'; generation: number; session: GatewaySession | null }
  /** A worker retired with keepSession handed its gateway session over (null: it had none). */
  | { type: 'suspended'; generation: number; session: GatewaySession | null }
  | { type: 'restartDue'; generation: number }
  | { type: 'wait'; id: number }
  | { type: 'waitExpired'; id: number }
  | { type: 'restart'; reason: string }
  | { type: 'stop'; cause: StopCause; reason: string }

export type Effect =
  | { type: 'queueStart'; generation: number }
  | {
      type: 'startWorker'
      generation: number
      kind: StartKind
      resume: GatewaySession | null
      intentBits: number | null
    }
  /** graceful: ask the worker to destroy its client first; else terminate at once (dead, hung, or to keep the session resumable). */
  | {
      type: 'retire'
      generation: number
      graceful: boolean
      /** Close the gateway resumably and hand the session over (a `suspended` event), for a RESUME after it. */
      keepSession?: boolean
    }
  | { type: 'armRestart'; generation: number; delayMs: number }
  | { type: 'cancelRestart' }
  | { type: 'settleWaiter'; id: number; outcome: 'serve' | Refusal }
  | { type: 'settleFirstLogin'; outcome: 'ok' | LoginFailure }
  | { type: 'revoked' }
  | { type: 'entered'; from: WorkerState; to: WorkerState; reason: string }
  | { type: 'log'; level: 'info' | 'warn'; message: string; reason: string }

export type LifecycleSettings = {
  policy: RestartPolicySettings
  maxHeapBytes: number
  healthCheckTimeoutMs: number
}
export const lifecycleSettings = (c: Config): LifecycleSettings => ({
  policy: {
    maxRestarts: c.RESTART_MAX,
    windowMs: c.RESTART_WINDOW_MS,
    backoffBaseMs: c.RESTART_BACKOFF_BASE_MS,
    backoffMaxMs: c.RESTART_BACKOFF_MAX_MS,
    stableAfterMs: c.RESTART_STABLE_MS,
  },
  maxHeapBytes: c.WORKER_MAX_HEAP_MB * 1_048_576 * c.BOTS_PER_WORKER,
  healthCheckTimeoutMs: c.HEALTH_CHECK_TIMEOUT_MS,
})
/** What the world supplies with each event: the time, and a roll in [0, 1] for the restart jitter. */
export type StepInput = { now: number; roll: number; settings: LifecycleSettings }
export type Step = { state: Lifecycle; effects: Effect[] }
