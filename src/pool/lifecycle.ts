import type { BotIdentity, GatewaySession, RpcFailure } from '../contract.ts'
import type { WorkerState } from './bot-types.ts'
import { decideRestart, NO_CRASHES } from './restart-policy.ts'
import {
  lifecycleSettings,
  type StopCause,
  type StartKind,
  type Refusal,
  type LoginFailure,
  type Lifecycle,
  type LifecycleEvent,
  type Effect,
  type LifecycleSettings,
  type StepInput,
  type Step,
} from './lifecycle-types.ts'

export { lifecycleSettings }
export type {
  StopCause,
  StartKind,
  Refusal,
  LoginFailure,
  Lifecycle,
  LifecycleEvent,
  Effect,
  LifecycleSettings,
  StepInput,
  Step,
}

/**
 * One bot's worker lifecycle as data: `step(state, event, input) → { state, effects }`, pure (time and the
 * jitter roll are inputs). The shell in supervisor.ts performs the effects and turns what happens (replies,
 * exits, pushes, timers) back into events. Events from a worker carry its generation: a stale worker's
 * reply, exit or push cannot act on its successor.
 */

/** Every move a bot may make; step() refuses any other, so no state is reached by a move missing here. */
export const MOVES: Readonly<Record<WorkerState, readonly WorkerState[]>> = {
  starting: ['starting', 'ready', 'restarting', 'failed', 'stopping'],
  ready: ['reconnecting', 'restarting', 'failed', 'stopping', 'starting'],
  reconnecting: ['ready', 'restarting', 'failed', 'stopping', 'starting'],
  restarting: ['starting', 'stopping'],
  failed: ['starting', 'stopping'],
  stopping: [],
}

const NO_IDENTITY: BotIdentity = {
  botId: '',
  username: '',
  avatar: null,
  intents: { guildMembers: false, messageContent: false },
  guildCount: 0,
  identifiesLeft: -1,
  resumed: false,
  intentBits: 0,
}

/**
 * `resume`: the bot comes back after a restart of the service; its stored gateway session (or null, none was
 * saved) is RESUMEd as a restart's would be, and an IDENTIFY keeps IDENTIFY_RESERVE.
 */
export function initialLifecycle(now: number, resume?: { session: GatewaySession | null }): Step {
  const state: Lifecycle = {
    phase: 'starting',
    since: now,
    generation: 1,
    start: 'queued',
    worker: false,
    retiring: null,
    kind: resume ? 'restart' : 'login',
    everReady: false,
    firstLogin: 'pending',
    stopCause: null,
    lastError: null,
    lastExit: null,
    restarts: 0,
    upSince: now,
    history: NO_CRASHES,
    waiters: [],
    identity: NO_IDENTITY,
    session: resume?.session ?? null,
  }
  return { state, effects: [{ type: 'queueStart', generation: 1 }] }
}

export const isServing = (state: Lifecycle): boolean => state.phase === 'ready' || state.phase === 'reconnecting'

/** What a call gets when the bot cannot serve it now (undefined: serve it, or wait while it starts). */
export function refusalOf(state: Lifecycle): Refusal | undefined {
  if (state.phase === 'failed') return { kind: 'failed', lastError: state.lastError ?? 'unknown' }
  if (state.phase === 'stopping') return { kind: 'stopped', cause: state.stopCause ?? 'shutdown' }
  return undefined
}

type Handler<E> = (s: Lifecycle, e: E, fx: Effect[], input: StepInput) => Lifecycle
type Table = {
  [T in LifecycleEvent['type']]: Partial<Record<WorkerState, Handler<Extract<LifecycleEvent, { type: T }>>>>
}
const LIVE = ['ready', 'reconnecting'] as const
const ALL_BUT_STOPPING = ['starting', 'ready', 'reconnecting', 'restarting', 'failed'] as const
const ALL = [...ALL_BUT_STOPPING, 'stopping'] as const
const inPhases = <H>(phases: readonly WorkerState[], handler: H): Partial<Record<WorkerState, H>> =>
  Object.fromEntries(phases.map((phase) => [phase, handler]))

/** Which event does what in which phase; a pair missing here is ignored. */
const TABLE: Table = {
  slot: { starting: (s, _e, fx) => (s.start === 'queued' ? beginStart(s, fx) : s) },
  started: { starting: (s, e, fx, input) => (s.start === 'calling' ? started(s, e.identity, fx, input) : s) },
  startFailed: { starting: (s, e, fx, input) => (s.start === 'calling' ? startFailed(s, e.failure, fx, input) : s) },
  startBroke: { starting: (s, e, fx, input) => (s.start === 'calling' ? startBroke(s, e, fx, input) : s) },
  exited: inPhases(ALL, exited),
  gateway: inPhases(LIVE, (s, e, fx, input) => {
    if (!s.worker) return s
    if (e.status === 'reconnecting')
      return s.phase === 'ready'
        ? move(s, 'reconnecting', 'gateway connection lost; discord.js is resuming', fx, input)
        : s
    if (e.status === 'ready') return s.phase === 'reconnecting' ? move(s, 'ready', 'gateway resumed', fx, input) : s
    if (e.status === 'revoked') return revoke(s, fx, input)
    return crash(retire(s, false, fx), `Discord closed the gateway with code ${e.code}`, 'gateway closed', fx, input)
  }),
  hung: inPhases(LIVE, (s, _e, fx, input) =>
    s.worker
      ? crash(
          retire(s, false, fx),
          `hung: no answer to the health check within ${input.settings.healthCheckTimeoutMs} ms`,
          'worker hung',
          fx,
          input,
        )
      : s,
  ),
  memory: inPhases(LIVE, (s, e, fx, input) => {
    if (!s.worker || e.heapBytes <= input.settings.maxHeapBytes) return s
    const mb = (bytes: number) => Math.round(bytes / 1_048_576)
    const reason = `memory: heap ${mb(e.heapBytes)} MB over WORKER_MAX_HEAP_MB ${mb(input.settings.maxHeapBytes)}`
    // suspended, not stopped: a clean close (1000) would end the gateway session the restart RESUMEs
    return crash(retire(s, true, fx, true), reason, 'recycling worker', fx, input)
  }),
  identifies: inPhases(ALL, (s, e) => (s.worker ? { ...s, identity: { ...s.identity, identifiesLeft: e.left } } : s)),
  // only a live worker's word counts: one being stopped reports its session ending, which a restart must not believe
  session: inPhases(ALL, (s, e) => (s.worker ? { ...s, session: e.session } : s)),
  // the retiring worker's last word, from a close that kept the session: what the next worker RESUMEs
  suspended: inPhases(ALL, (s, e) => (e.session ? { ...s, session: e.session } : s)),
  restartDue: {
    restarting: (s, _e, fx, input) => {
      fx.push({ type: 'queueStart', generation: s.generation + 1 })
      const next = { ...s, generation: s.generation + 1, kind: 'restart' as const, start: 'queued' as const }
      return move(next, 'starting', 'restart of the worker', fx, input)
    },
  },
  wait: inPhases(ALL, (s, e, fx) => {
    if (isServing(s)) fx.push({ type: 'settleWaiter', id: e.id, outcome: 'serve' })
    else if (s.phase === 'starting' || s.phase === 'restarting') return { ...s, waiters: [...s.waiters, e.id] }
    else fx.push({ type: 'settleWaiter', id: e.id, outcome: refusalOf(s) ?? { kind: 'restarting' } })
    return s
  }),
  waitExpired: inPhases(ALL, (s, e, fx) => {
    if (!s.waiters.includes(e.id)) return s
    fx.push({ type: 'settleWaiter', id: e.id, outcome: { kind: 'restarting' } })
    return { ...s, waiters: s.waiters.filter((id) => id !== e.id) }
  }),
  restart: inPhases(ALL_BUT_STOPPING, (s, e, fx, input) => {
    fx.push({ type: 'log', level: 'info', message: 'restart requested', reason: e.reason })
    if (s.phase === 'restarting') fx.push({ type: 'cancelRestart' })
    const generation = s.generation + 1
    fx.push({ type: 'queueStart', generation })
    const next = { ...retire(s, true, fx, true), generation, kind: 'admin' as const, start: 'queued' as const }
    return move(
      { ...next, history: NO_CRASHES, lastError: null, restarts: s.restarts + 1 },
      'starting',
      e.reason,
      fx,
      input,
    )
  }),
  // a shutdown keeps the Discord session for the next run to RESUME; any other stop ends it
  stop: inPhases(ALL_BUT_STOPPING, (s, e, fx, input) =>
    stop(retire(s, true, fx, e.cause === 'shutdown'), e.cause, e.reason, fx, input),
  ),
}

/** The one entry point: applies an event, checks the move against MOVES. Throws only on our own bug. */
export function step(state: Lifecycle, event: LifecycleEvent, input: StepInput): Step {
  const handler = TABLE[event.type][state.phase] as Handler<LifecycleEvent> | undefined
  if (!handler) return { state, effects: [] }
  // a stale worker may only report that it is gone
  if (
    'generation' in event &&
    event.generation !== state.generation &&
    !((event.type === 'exited' || event.type === 'suspended') && event.generation === state.retiring)
  ) {
    return { state, effects: [] }
  }
  const effects: Effect[] = []
  const next = handler(state, event, effects, input)
  if (next.phase !== state.phase && !MOVES[state.phase].includes(next.phase)) {
    throw new Error(`illegal move ${state.phase} → ${next.phase} on ${event.type}`)
  }
  return { state: next, effects }
}

function move(s: Lifecycle, to: WorkerState, reason: string, fx: Effect[], input: StepInput): Lifecycle {
  fx.push({ type: 'entered', from: s.phase, to, reason })
  let next: Lifecycle = { ...s, phase: to, since: input.now }
  if (to === 'ready' || to === 'failed' || to === 'stopping') {
    const outcome = to === 'ready' ? 'serve' : (refusalOf(next) ?? { kind: 'restarting' })
    for (const id of s.waiters) fx.push({ type: 'settleWaiter', id, outcome })
    next = { ...next, waiters: [] }
  }
  return next
}

function beginStart(s: Lifecycle, fx: Effect[]): Lifecycle {
  if (s.retiring !== null) return { ...s, start: 'slotted' }
  const resume = s.kind === 'login' ? null : s.session
  // a resumed session keeps the intents it was identified with (after a 4014, without the privileged)
  fx.push({
    type: 'startWorker',
    generation: s.generation,
    kind: s.kind,
    resume,
    intentBits: s.everReady ? s.identity.intentBits : null,
  })
  return { ...s, start: 'calling', worker: true }
}

function retire(s: Lifecycle, graceful: boolean, fx: Effect[], keepSession = false): Lifecycle {
  if (!s.worker) return s
  fx.push({ type: 'retire', generation: s.generation, graceful, ...(keepSession ? { keepSession } : {}) })
  return { ...s, worker: false, retiring: s.generation }
}

function settleFirst(s: Lifecycle, outcome: 'ok' | LoginFailure, fx: Effect[]): Lifecycle {
  if (s.firstLogin === 'settled') return s
  fx.push({ type: 'settleFirstLogin', outcome })
  return { ...s, firstLogin: 'settled' }
}

function started(s: Lifecycle, identity: BotIdentity, fx: Effect[], input: StepInput): Lifecycle {
  fx.push({ type: 'log', level: 'info', message: 'worker started', reason: s.kind })
  const next = { ...s, identity, start: null, everReady: true, upSince: input.now, lastError: null }
  return settleFirst(move(next, 'ready', s.kind === 'login' ? 'logged in' : 'logged back in', fx, input), 'ok', fx)
}

function startFailed(s: Lifecycle, failure: RpcFailure, fx: Effect[], input: StepInput): Lifecycle {
  // the worker answered: its client is already destroyed, so stopping it is quick
  const next = retire({ ...s, start: null }, true, fx)
  if (!s.everReady)
    return stop(next, 'login_failed', `login failed: ${failure.detail}`, fx, input, { kind: 'rejected', failure })
  if (failure.status === 401) return revoke(next, fx, input)
  // a 429 of the worker's own IDENTIFY reserve is for good; one held off by the invalid-request window passes
  if (failure.status === 429 && failure.guard === undefined)
    return fail(next, `refusing to IDENTIFY: ${failure.detail}`, fx, input)
  return crash(next, `restart failed: ${failure.detail}`, 'restart failed', fx, input)
}

function startBroke(s: Lifecycle, e: { hung: boolean; detail: string }, fx: Effect[], input: StepInput): Lifecycle {
  const next = retire({ ...s, start: null }, false, fx)
  const reason = e.hung ? `hung: ${e.detail}` : `crashed: ${e.detail}`
  if (!s.everReady)
    return stop(
      next,
      'login_failed',
      `login failed: ${reason}`,
      fx,
      input,
      e.hung ? { kind: 'hung' } : { kind: 'broke', detail: e.detail },
    )
  return crash(next, reason, e.hung ? 'worker hung' : 'worker crashed', fx, input)
}

function exited(s: Lifecycle, e: { generation: number; reason: string }, fx: Effect[], input: StepInput): Lifecycle {
  if (e.generation === s.retiring) {
    const gone = { ...s, retiring: null }
    return gone.phase === 'starting' && gone.start === 'slotted' ? beginStart(gone, fx) : gone
  }
  if (!s.worker) return s
  const next = { ...s, worker: false, start: null }
  if (!s.everReady)
    return stop(next, 'login_failed', `worker died during login: ${e.reason}`, fx, input, {
      kind: 'broke',
      detail: e.reason,
    })
  return crash(next, e.reason, 'worker crashed', fx, input)
}

/** The worker is gone (or being removed): restart it after a backoff, or give up past the intensity limit. */
function crash(s: Lifecycle, reason: string, message: string, fx: Effect[], input: StepInput): Lifecycle {
  fx.push({ type: 'log', level: 'warn', message, reason })
  const { decision, history } = decideRestart(input.settings.policy, s.history, input.now, s.upSince, input.roll)
  const next = { ...s, history, lastExit: { reason, at: input.now } }
  if (decision.action === 'fail') {
    return fail(
      next,
      `${decision.restartsInWindow} restarts within ${input.settings.policy.windowMs} ms; last: ${reason}`,
      fx,
      input,
    )
  }
  fx.push({ type: 'armRestart', generation: s.generation, delayMs: decision.delayMs })
  return move(
    { ...next, restarts: s.restarts + 1 },
    'restarting',
    `${reason}; retry in ${decision.delayMs} ms`,
    fx,
    input,
  )
}

function fail(s: Lifecycle, reason: string, fx: Effect[], input: StepInput): Lifecycle {
  return move({ ...s, lastError: reason }, 'failed', reason, fx, input)
}

function revoke(s: Lifecycle, fx: Effect[], input: StepInput): Lifecycle {
  fx.push({ type: 'revoked' })
  return stop(retire(s, true, fx), 'revoked', 'Discord rejected the token', fx, input)
}

function stop(
  s: Lifecycle,
  cause: StopCause,
  reason: string,
  fx: Effect[],
  input: StepInput,
  failure?: LoginFailure,
): Lifecycle {
  if (s.phase === 'restarting') fx.push({ type: 'cancelRestart' })
  const next = move(
    { ...s, stopCause: cause, start: null, lastError: cause === 'login_failed' ? reason : s.lastError },
    'stopping',
    reason,
    fx,
    input,
  )
  return settleFirst(next, failure ?? { kind: 'stopped', cause }, fx)
}
