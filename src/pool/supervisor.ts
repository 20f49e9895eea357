import type { BotStats, RpcFailure, WorkerPush } from '../contract.ts'
import { AppError } from '../errors.ts'
import { createBotCache } from './bot-cache.ts'
import { SYSTEM_CLOCK, type BotHandle, type SupervisedBot, type SupervisorDeps } from './bot-types.ts'
import { createLatencyWindow } from './latency.ts'
import {
  initialLifecycle,
  lifecycleSettings,
  isServing,
  refusalOf,
  step,
  type Effect,
  type LifecycleEvent,
  type Refusal,
} from './lifecycle.ts'
import { loginError, refusalError, unavailable } from './refusals.ts'
import type { WorkerCall } from './remote.ts'
import type { LentWorker } from './spawner.ts'

/** A clean stop gets this long to destroy its client before the worker is terminated anyway. */
const STOP_GRACE_MS = 2_000

const isRpcFailure = (value: unknown): value is RpcFailure =>
  typeof value === 'object' && value !== null && 'ok' in value && value.ok === false

/**
 * The shell around lifecycle.ts: performs its effects (take a worker, start it, stop it, arm the restart
 * timer, settle waiting calls and the first login) and feeds back what happens as events, each tagged
 * with the generation of the worker it concerns.
 */
export function superviseBot(
  deps: SupervisorDeps & { token: string; botKey: string; workerId: string },
): SupervisedBot {
  const { config, token, botKey, workerId } = deps
  const clock = deps.clock ?? SYSTEM_CLOCK
  const random = deps.random ?? Math.random
  const settings = lifecycleSettings(config)
  // Discord's answers must come back as data before this fires: two REST deadlines (session limit,
  // resume snapshot) and the login and resume waits; a 4014 retry is one more login.
  const startDeadlineMs = config.LOGIN_TIMEOUT_MS * 2 + config.RPC_TIMEOUT_MS * 2 + 1_000
  let log = deps.log.child({ worker: workerId })
  const cache = createBotCache()
  const latency = createLatencyWindow()
  const firstStart = Promise.withResolvers<BotHandle>()
  firstStart.promise.catch(() => {}) // the pool awaits it; this keeps an unobserved rejection quiet

  const initial = initialLifecycle(clock.now(), deps.restored)
  let state = initial.state
  /** The live or retiring worker by generation: never more than one (lifecycle.props.test.ts). */
  const workers = new Map<number, LentWorker>()
  const waiters = new Map<number, (outcome: 'serve' | Refusal) => void>()
  const watchers = new Set<() => void>()
  let nextWaiterId = 0
  let restartTimer: unknown
  let stats: { value: BotStats; at: number; eventsPerSecond: number } | undefined
  let pushedHeapBytes: number | undefined
  let reportedSession = initial.state.session

  // Effects may cause events at once (a free start slot runs its task synchronously): queue, never nest.
  const queue: LifecycleEvent[] = []
  let dispatching = false
  function dispatch(event: LifecycleEvent) {
    queue.push(event)
    if (dispatching) return
    dispatching = true
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const result = step(state, next, { now: clock.now(), roll: random(), settings })
        state = result.state
        for (const effect of result.effects) perform(effect)
      }
    } finally {
      dispatching = false
    }
    if (state.session !== reportedSession) {
      reportedSession = state.session
      deps.onGatewaySession?.(reportedSession)
    }
    for (const check of [...watchers]) check()
  }

  /** Resolves once `done()` holds; every lifecycle wait is bounded by a deadline or a grace period. */
  function until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve()
    const { promise, resolve } = Promise.withResolvers<void>()
    const check = () => {
      if (!done()) return
      watchers.delete(check)
      resolve()
    }
    watchers.add(check)
    return promise
  }

  function perform(effect: Effect) {
    switch (effect.type) {
      case 'queueStart': {
        const { generation } = effect
        // the slot is held while this generation's start runs; the task never rejects
        void deps.startSlots(() => {
          dispatch({ type: 'slot', generation })
          return until(() => state.generation !== generation || state.phase !== 'starting' || state.start === null)
        })
        return
      }
      case 'startWorker':
        return startWorker(effect)
      case 'retire': {
        const worker = workers.get(effect.generation)
        if (!worker) return
        // A bot stopping for good whose worker stopped cleanly hands it back for another login (spawner.ts resets it
        // and checks it is clean); anything else is terminated. Either way the exit comes back as an `exited` event.
        const reusable = effect.graceful && state.phase === 'stopping' && !effect.keepSession
        const { generation } = effect
        void (async () => {
          if (effect.keepSession && worker.isAlive()) {
            // its session goes to the next worker (or run): the worker is terminated after, never reused
            const session = await worker.call((bot) => bot.suspend(), STOP_GRACE_MS).catch(() => null)
            dispatch({ type: 'suspended', generation, session })
            return worker.terminate()
          }
          const stopped =
            effect.graceful &&
            worker.isAlive() &&
            (await worker
              .call((bot) => bot.stop(), STOP_GRACE_MS)
              .then(
                () => true,
                () => false,
              ))
          if (reusable && stopped) await worker.giveBack()
          else worker.terminate()
        })()
        return
      }
      case 'armRestart':
        clock.clearTimeout(restartTimer)
        restartTimer = clock.setTimeout(
          () => dispatch({ type: 'restartDue', generation: effect.generation }),
          effect.delayMs,
        )
        return
      case 'cancelRestart':
        return clock.clearTimeout(restartTimer)
      case 'settleWaiter':
        waiters.get(effect.id)?.(effect.outcome)
        waiters.delete(effect.id)
        return
      case 'settleFirstLogin':
        if (effect.outcome === 'ok') firstStart.resolve(handle)
        else firstStart.reject(loginError(effect.outcome, startDeadlineMs))
        return
      case 'revoked':
        return deps.onRevoked()
      case 'entered':
        log.info({ from: effect.from, to: effect.to, reason: effect.reason }, 'worker state')
        if (state.identity.botId) {
          const { botId, resumed } = state.identity
          deps.onLifecycle?.({ botId, from: effect.from, to: effect.to, reason: effect.reason, resumed })
        }
        return deps.onTransition?.(effect.from, effect.to, effect.reason)
      case 'log':
        if (effect.message === 'worker started') {
          const { botId, guildCount, intents, resumed } = state.identity
          log = deps.log.child({ worker: workerId, bot: botId })
          log.info({ guilds: guildCount, intents, resumed }, 'worker started')
        } else log[effect.level]({ reason: effect.reason }, effect.message)
        return
    }
  }

  function startWorker(effect: Extract<Effect, { type: 'startWorker' }>) {
    const { generation } = effect
    let worker: LentWorker
    try {
      worker = deps.takeWorker()
    } catch (err) {
      // no worker ever lived: as if it died at once (a retire would wait for an exit that never comes)
      return dispatch({
        type: 'exited',
        generation,
        reason: `crashed: could not spawn a worker: ${err instanceof Error ? err.message : String(err)}`,
      })
    }
    workers.set(generation, worker)
    // message and member pages came from the old worker, whose events no longer tell their changes
    cache.apply({ botvisor: 'messages', channelId: null })
    cache.apply({ botvisor: 'members', guildId: null })
    worker.onPush((push) => onPush(generation, push))
    void worker.exited.then((reason) => {
      workers.delete(generation)
      log.info({ reason }, 'worker exited')
      dispatch({ type: 'exited', generation, reason })
    })
    const options = {
      token,
      apiUrl: config.DISCORD_API_URL,
      intents: effect.intentBits ?? deps.restored?.intents ?? config.DISCORD_INTENTS,
      loginTimeoutMs: config.LOGIN_TIMEOUT_MS,
      requestDeadlineMs: config.RPC_TIMEOUT_MS,
      identifyReserve: effect.kind === 'restart' ? config.IDENTIFY_RESERVE : 0,
      resume: config.RESUME_ON_RESTART ? effect.resume : null,
      invalidBudget: deps.invalidBudget ?? null,
      refusalCacheMs: config.DISCORD_REFUSAL_CACHE_MS,
      testHooks: config.WORKER_TEST_HOOKS,
      ...(config.WORKER_TEST_HOOKS && config.WORKER_TEST_START_FAULT !== 'none'
        ? { startFault: config.WORKER_TEST_START_FAULT }
        : {}),
    }
    // settles as an event either way
    void worker
      .call((bot) => bot.start(options), startDeadlineMs)
      .then(
        (result) =>
          dispatch(
            result.ok
              ? { type: 'started', generation, identity: result.value }
              : { type: 'startFailed', generation, failure: result },
          ),
        (err: unknown) => {
          if (err instanceof AppError && err.code === 'bot_unavailable') return // it died: its `exited` event says so
          const hung = err instanceof AppError && err.code === 'bot_timeout'
          const detail = hung
            ? `no answer to start within ${startDeadlineMs} ms`
            : err instanceof Error
              ? err.message
              : String(err)
          dispatch({ type: 'startBroke', generation, hung, detail })
        },
      )
  }

  function onPush(generation: number, push: WorkerPush) {
    switch (push.botvisor) {
      case 'session':
        return dispatch({ type: 'session', generation, session: push.session })
      case 'identifies':
        return dispatch({ type: 'identifies', generation, left: push.left })
      case 'gateway':
        return dispatch({ type: 'gateway', generation, status: push.status, code: push.code })
      case 'events':
        return deps.onEvents?.(push)
      case 'memory':
        if (generation === state.generation) pushedHeapBytes = push.heapUsedBytes
        return dispatch({ type: 'memory', generation, heapBytes: push.heapUsedBytes })
      default:
        if (generation === state.generation && state.worker) cache.apply(push)
    }
  }

  const servingWorker = () => (isServing(state) && state.worker ? workers.get(state.generation) : undefined)

  /** The serving worker; while the bot is between workers, waits (up to RESTART_WAIT_MS) for one. */
  async function serving(): Promise<LentWorker> {
    const live = servingWorker()
    if (live) return live
    const refusal = refusalOf(state)
    if (refusal) throw refusalError(refusal)
    const id = ++nextWaiterId
    const { promise, resolve } = Promise.withResolvers<'serve' | Refusal>()
    waiters.set(id, resolve)
    const timer = clock.setTimeout(() => dispatch({ type: 'waitExpired', id }), config.RESTART_WAIT_MS)
    dispatch({ type: 'wait', id })
    const outcome = await promise.finally(() => clock.clearTimeout(timer))
    if (outcome !== 'serve') throw refusalError(outcome)
    const worker = servingWorker()
    if (!worker) throw refusalError(refusalOf(state) ?? { kind: 'restarting' })
    return worker
  }

  const call: WorkerCall = async (use, deadlineMs) => {
    const worker = await serving()
    const startedAt = performance.now()
    try {
      const value = await worker.call(use, deadlineMs)
      if (isRpcFailure(value)) {
        // cut off by a stop (logout, revoke): the stop is the truth, not what the dying worker said
        const refusal = refusalOf(state)
        if (refusal) throw refusalError(refusal)
        // the worker's own "not logged in" (a worker never passes on a Discord 503: failures.ts makes 5xx a 502)
        if (value.status === 503) throw unavailable('The bot is restarting; retry shortly', 1)
      }
      return value
    } catch (err) {
      const refusal = refusalOf(state)
      throw refusal ? refusalError(refusal) : err
    } finally {
      const ms = performance.now() - startedAt
      latency.record(ms)
      deps.onRpc?.(ms)
    }
  }

  async function checkHealth(): Promise<BotStats | undefined> {
    const worker = servingWorker()
    if (!worker) return undefined
    const { generation } = state
    const startedAt = performance.now()
    const value = await worker
      .call((bot) => bot.stats(), config.HEALTH_CHECK_TIMEOUT_MS)
      .catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'bot_timeout') dispatch({ type: 'hung', generation })
        return undefined
      })
    if (!value || generation !== state.generation) return undefined
    latency.record(performance.now() - startedAt)
    const now = clock.now()
    const eventsPerSecond = stats
      ? ((value.gatewayEvents - stats.value.gatewayEvents) * 1000) / Math.max(1, now - stats.at)
      : 0
    stats = { value, at: now, eventsPerSecond }
    pushedHeapBytes = undefined // the poll is newer
    return value
  }

  const handle: SupervisedBot = {
    botKey,
    workerId,
    get identity() {
      return state.identity
    },
    cache,
    state: () => state.phase,
    refusal: () => {
      const refusal = refusalOf(state)
      return refusal ? refusalError(refusal) : undefined
    },
    call,
    firstStart: firstStart.promise,
    async restart(reason) {
      dispatch({ type: 'restart', reason })
      const { generation } = state
      await until(() => state.generation !== generation || state.phase !== 'starting')
    },
    async stop(reason, cause = 'shutdown') {
      dispatch({ type: 'stop', cause, reason })
      await until(() => !state.worker && state.retiring === null)
    },
    checkHealth,
    snapshot: () => ({
      workerId,
      botId: state.identity.botId,
      botName: state.identity.username,
      state: state.phase,
      stateSince: state.since,
      startedAt: state.upSince,
      restarts: state.restarts,
      lastExit: state.lastExit,
      lastError: state.lastError,
      identity: state.identity,
      stats: stats ? { ...stats.value, heapUsedBytes: pushedHeapBytes ?? stats.value.heapUsedBytes } : null,
      rpcP50Ms: latency.percentile(50),
      rpcP99Ms: latency.percentile(99),
      eventsPerSecond: stats?.eventsPerSecond ?? 0,
    }),
  }
  for (const effect of initial.effects) perform(effect) // settles firstStart either way
  return handle
}
