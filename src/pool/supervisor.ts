import type { BotIdentity, BotStats, GatewaySession, RpcResult, WorkerPush } from '../contract.ts'
import { AppError, fromRpcFailure } from '../errors.ts'
import { createBotCache } from './bot-cache.ts'
import type { BotHandle, SupervisedBot, SupervisorDeps, WorkerSnapshot, WorkerState } from './bot-types.ts'
import { createLatencyWindow } from './latency.ts'
import type { WorkerCall } from './remote.ts'
import type { LentWorker } from './spawner.ts'
import { createRestartPolicy } from './restart-policy.ts'

/** A clean stop gets this long to destroy its client before the worker is terminated anyway. */
const STOP_GRACE_MS = 2_000

const tokenRejected = () => new AppError(401, 'unauthorized', 'Discord rejected the token; log in again')

const unavailable = (message: string, retryAfterSeconds?: number) =>
  new AppError(503, 'bot_unavailable', message, retryAfterSeconds ? { headers: { 'Retry-After': String(retryAfterSeconds) } } : {})

export function superviseBot(deps: SupervisorDeps & { token: string; botKey: string; workerId: string }): SupervisedBot {
  const { config, token, botKey, workerId } = deps
  let log = deps.log.child({ worker: workerId })
  const cache = createBotCache()
  const policy = createRestartPolicy({
    maxRestarts: config.RESTART_MAX,
    windowMs: config.RESTART_WINDOW_MS,
    backoffBaseMs: config.RESTART_BACKOFF_BASE_MS,
    backoffMaxMs: config.RESTART_BACKOFF_MAX_MS,
    stableAfterMs: config.RESTART_STABLE_MS,
  })
  const latency = createLatencyWindow()
  const firstStart = Promise.withResolvers<BotHandle>()
  firstStart.promise.catch(() => {}) // the pool awaits it; this keeps an unobserved rejection quiet

  let state: WorkerState = 'starting'
  let stateSince = Date.now()
  let everReady = false
  let current: LentWorker | undefined
  let upSince = Date.now()
  let restarts = 0
  let lastExit: WorkerSnapshot['lastExit'] = null
  let lastError: string | null = null
  let restartTimer: ReturnType<typeof setTimeout> | undefined
  let tokenRevoked = false
  // outlives the worker: what a restart RESUMEs
  let gatewaySession: GatewaySession | null = null
  let stats: { value: BotStats; at: number; eventsPerSecond: number } | undefined
  const stateWatchers = new Set<() => void>()

  function transition(next: WorkerState, reason: string) {
    if (next === state) return
    log.info({ from: state, to: next, reason }, 'worker state')
    deps.onTransition?.(state, next, reason)
    state = next
    stateSince = Date.now()
    for (const notify of stateWatchers) notify()
  }

  async function launch(kind: 'login' | 'restart' | 'admin') {
    transition('starting', kind === 'login' ? 'login' : `${kind} of the worker`)
    await deps.startSlots(() => startWorker(kind))
  }

  async function startWorker(kind: 'login' | 'restart' | 'admin') {
    if (state !== 'starting') return // stopped while waiting for a slot
    const worker = deps.takeWorker()
    current = worker
    // message pages came from the old worker's cache, which no event keeps true any more
    cache.apply({ botvisor: 'messages', channelId: null })
    worker.onPush(onPush)
    void worker.exited.then((why) => {
      if (current === worker) crashed(why) // an exit we asked for clears `current` first
    })
    const result: RpcResult<BotIdentity> = await worker
      .call(
        (bot) =>
          bot.start({
            token,
            apiUrl: config.DISCORD_API_URL,
            // a resumed session keeps the intents it was identified with (after a 4014, without the privileged)
            intents: everReady ? handle.identity.intentBits : config.DISCORD_INTENTS,
            loginTimeoutMs: config.LOGIN_TIMEOUT_MS,
            requestDeadlineMs: config.RPC_TIMEOUT_MS,
            identifyReserve: kind === 'restart' ? config.IDENTIFY_RESERVE : 0,
            resume: kind === 'login' || !config.RESUME_ON_RESTART ? null : gatewaySession,
            testHooks: config.WORKER_TEST_HOOKS,
          }),
        // 4014 makes the worker log in twice (with, then without privileged intents): allow both
        config.LOGIN_TIMEOUT_MS * 2 + 1_000,
      )
      .catch((err: unknown) => {
        const timedOut = err instanceof AppError && err.code === 'bot_timeout'
        return { ok: false, status: timedOut ? 504 : 503, discordCode: 0, detail: timedOut ? 'login timed out' : String(err) }
      })
    if (current !== worker) return // stopped or replaced while logging in
    if (result.ok) {
      handle.identity = result.value
      log = deps.log.child({ worker: workerId, bot: result.value.botId })
      upSince = Date.now()
      everReady = true
      lastError = null
      log.info({ guilds: result.value.guildCount, intents: result.value.intents, resumed: result.value.resumed }, 'worker started')
      transition('ready', kind === 'login' ? 'logged in' : 'logged back in')
      firstStart.resolve(handle)
      return
    }
    if (!everReady) {
      await stopWorker()
      transition('stopping', `login failed: ${result.detail}`)
      firstStart.reject(loginError(result))
      return
    }
    if (result.status === 401) return revoked()
    if (result.status === 429) return fail(`refusing to IDENTIFY: ${result.detail}`)
    crashed(`restart failed: ${result.detail}`)
  }

  function loginError(result: Extract<RpcResult<unknown>, { ok: false }>): AppError {
    if (result.status === 401) return new AppError(401, 'unauthorized', 'Discord rejected the token')
    if (result.status === 504) return new AppError(504, 'discord_timeout', 'Discord did not complete the login in time')
    if (result.status === 503) return unavailable('The bot worker stopped during login', 1)
    return fromRpcFailure(result)
  }

  function crashed(reason: string) {
    const dead = current
    current = undefined
    dead?.terminate()
    lastExit = { reason, at: Date.now() }
    if (!everReady) {
      transition('stopping', `worker died during login: ${reason}`)
      firstStart.reject(unavailable('The bot worker stopped during login', 1))
      return
    }
    if (state === 'stopping' || state === 'failed') return
    log.warn({ reason }, 'worker crashed')
    const decision = policy.onCrash(Date.now(), upSince)
    if (decision.action === 'fail') {
      fail(`${decision.restartsInWindow} restarts within ${config.RESTART_WINDOW_MS} ms; last: ${reason}`)
      return
    }
    restarts += 1
    transition('restarting', `${reason}; retry in ${decision.delayMs} ms`)
    restartTimer = setTimeout(() => void launch('restart'), decision.delayMs) // launch handles its own failures
  }

  function fail(reason: string) {
    lastError = reason
    transition('failed', reason)
    void stopWorker() // a failed bot holds no worker; stopWorker never rejects
  }

  function revoked() {
    tokenRevoked = true
    transition('stopping', 'Discord rejected the token')
    void stopWorker()
    deps.onRevoked()
  }

  function onPush(push: WorkerPush) {
    if (push.botvisor === 'session') {
      gatewaySession = push.session
      return
    }
    if (push.botvisor !== 'gateway') return cache.apply(push)
    switch (push.status) {
      case 'reconnecting':
        if (state === 'ready') transition('reconnecting', 'gateway connection lost; discord.js is resuming')
        return
      case 'ready':
        if (state === 'reconnecting') transition('ready', 'gateway resumed')
        return
      case 'revoked':
        return revoked()
      case 'closed':
        return crashed(`Discord closed the gateway with code ${push.code}`)
    }
  }

  /** `reuse`: a stop that was asked for (logout, admin remove, shutdown) and finished hands the worker back for another bot. */
  async function stopWorker(reuse = false): Promise<void> {
    clearTimeout(restartTimer)
    const worker = current
    current = undefined
    if (!worker) return
    // hung or dead: terminate settles it
    const stopped = worker.isAlive() && (await worker.call((bot) => bot.stop(), STOP_GRACE_MS).then(() => true, () => false))
    if (reuse && stopped) await worker.giveBack()
    else worker.terminate()
    log.info({ reason: await worker.exited }, 'worker exited')
  }

  /** Waits (a short bound) while the bot is between workers; then the caller gets 503 with Retry-After. */
  async function serving(): Promise<LentWorker> {
    const deadline = Date.now() + config.RESTART_WAIT_MS
    while (state === 'starting' || state === 'restarting') {
      const left = deadline - Date.now()
      if (left <= 0) throw unavailable('The bot is restarting; retry shortly', 1)
      const { promise, resolve } = Promise.withResolvers<void>()
      stateWatchers.add(resolve)
      const timer = setTimeout(resolve, left)
      await promise.finally(() => {
        clearTimeout(timer)
        stateWatchers.delete(resolve)
      })
    }
    if (tokenRevoked) throw tokenRejected()
    if (state === 'failed') throw unavailable(`The bot's worker failed (${lastError}); an admin must restart it`)
    if (state === 'stopping' || !current) throw unavailable('The bot is stopping', 1)
    return current
  }

  const call: WorkerCall = async (use, deadlineMs) => {
    const worker = await serving()
    const startedAt = performance.now()
    try {
      return await worker.call(use, deadlineMs)
    } catch (err) {
      // the worker was stopped under this call because Discord refused the token: say that, not 503
      throw tokenRevoked ? tokenRejected() : err
    } finally {
      const ms = performance.now() - startedAt
      latency.record(ms)
      deps.onRpc?.(ms)
    }
  }

  async function checkHealth(): Promise<BotStats | undefined> {
    const worker = current
    if (!worker || (state !== 'ready' && state !== 'reconnecting')) return undefined
    const startedAt = performance.now()
    const value = await worker.call((bot) => bot.stats(), config.HEALTH_CHECK_TIMEOUT_MS).catch((err: unknown) => {
      if (current === worker && err instanceof AppError && err.code === 'bot_timeout') {
        crashed(`hung: no answer to the health check within ${config.HEALTH_CHECK_TIMEOUT_MS} ms`)
      }
      return undefined
    })
    if (!value) return undefined
    latency.record(performance.now() - startedAt)
    const now = Date.now()
    const eventsPerSecond = stats ? ((value.gatewayEvents - stats.value.gatewayEvents) * 1000) / Math.max(1, now - stats.at) : 0
    stats = { value, at: now, eventsPerSecond }
    const heapMb = value.heapUsedBytes / 1_048_576
    if (heapMb > config.WORKER_MAX_HEAP_MB && current === worker) {
      const reason = `memory: heap ${Math.round(heapMb)} MB over WORKER_MAX_HEAP_MB ${config.WORKER_MAX_HEAP_MB}`
      log.warn({ heapMb: Math.round(heapMb) }, 'recycling worker')
      await worker.call((bot) => bot.stop(), STOP_GRACE_MS).catch(() => {}) // graceful first; crashed() terminates
      if (current === worker) crashed(reason)
    }
    return value
  }

  const handle: SupervisedBot = {
    botKey,
    workerId,
    identity: {
      botId: '', username: '', avatar: null, intents: { guildMembers: false, messageContent: false },
      guildCount: 0, identifiesLeft: -1, identifiesResetAt: 0, resumed: false, intentBits: 0,
    },
    cache,
    state: () => state,
    call,
    firstStart: firstStart.promise,
    async restart(reason) {
      policy.reset()
      lastError = null
      await stopWorker()
      log.info({ reason }, 'restart requested')
      restarts += 1
      await launch('admin')
    },
    async stop(reason) {
      transition('stopping', reason)
      firstStart.reject(unavailable('The bot was stopped during login', 1))
      await stopWorker(true)
    },
    checkHealth,
    snapshot: () => ({
      workerId,
      botId: handle.identity.botId,
      botName: handle.identity.username,
      state,
      stateSince,
      startedAt: upSince,
      restarts,
      lastExit,
      lastError,
      identity: handle.identity,
      stats: stats?.value ?? null,
      rpcP50Ms: latency.percentile(50),
      rpcP99Ms: latency.percentile(99),
      eventsPerSecond: stats?.eventsPerSecond ?? 0,
    }),
  }
  void launch('login') // settles firstStart either way
  return handle
}
