import type { BotWorkerApi, ResumeFallbackReason, WorkerPush } from '../contract.ts'
import { AppError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { cutOff, watchThread, type ConnectedWorker, type WorkerCall, type WorkerThread } from './remote.ts'
import { BUNDLE_PATH, BYTECODE_BUNDLE_PATH, workerEntry } from './worker-entry.ts'

/** Refill the spare after a login's burst, not during it: spawning is CPU-bound on 2 cores (docs/facts.md). */
const SPARE_REFILL_DELAY_MS = 50
/** reset() is a GC and a few assignments; a worker slower than this is not one to hand to the next bot. */
const RESET_DEADLINE_MS = 2_000

/** A worker lent to one bot. Once given back or terminated, this handle is dead to its bot, whatever the thread does next. */
export type LentWorker = Omit<ConnectedWorker, 'detach'> & {
  /**
   * The bot stopped cleanly: the spawner resets the worker and keeps it idle for the next login, or ends it.
   * Settles once that is decided, so a login right after a logout finds the worker idle. Never rejects.
   */
  giveBack(): Promise<void>
}

export type SpawnerHooks = {
  onSpawn?: () => void
  /** A worker that served a bot before was taken for another login. */
  onReuse?: () => void
  onResumeFallback?: (reason: ResumeFallbackReason) => void
}

export type WorkerSpawner = {
  /** A worker ready for start(): an idle one when there is one, else a fresh spawn. `log` binds its log lines. */
  take(log: () => Logger): LentWorker
  /** Workers spawned or reset, waiting for a login. */
  idleCount(): number
  stop(): void
}

/** A worker thread and the bots it hosts now. */
type Host = {
  thread: WorkerThread
  tenants: number
  /** Bots it has hosted, for the reuse count. */
  served: number
  /** Something of a bot that left may remain (an unclean reset, a heap over the mark): no new bots, ends when empty. */
  draining: boolean
}

const ignore = () => {}

/**
 * Spawns bot worker threads, each hosting up to `botsPerWorker` bots (1: a thread per bot), and keeps up to
 * `maxIdle` empty ones for reuse: Bun leaks some memory per Worker created (docs/facts.md; issue 10 measured
 * +70 MB RSS over 750 login/logout cycles), and a reused worker also skips the ~200 ms cold start. A bot leaves
 * its thread for good only after it stopped cleanly and reset() reported nothing left behind; crashed, hung,
 * recycled or unclean threads are terminated. With `spares` 1, a thread is spawned ahead whenever no thread
 * has room for the next login.
 */
export function createSpawner(settings: {
  rpcTimeoutMs: number
  spares: number
  maxIdle: number
  /** What one bot's thread may keep on the heap after a full GC to host the next bot. */
  maxHeapBytes: number
  /** BOTS_PER_WORKER: bots sharing one thread (one discord.js code load); a crash or hang there hits them all. */
  botsPerWorker?: number
  /** WORKER_BYTECODE: the bundle with JSC bytecode beside it, faster to start, bigger per bot. */
  bytecode?: boolean
  hooks?: SpawnerHooks
}): WorkerSpawner {
  const { hooks = {}, botsPerWorker = 1 } = settings
  // the minified bundle when it is up to date (worker-entry.ts)
  const entry = workerEntry(settings.bytecode ? BYTECODE_BUNDLE_PATH : BUNDLE_PATH)
  const capacity = Math.max(settings.maxIdle, settings.spares)
  /** Empty threads, the most recently used last. */
  const idle: Host[] = []
  /** Every live thread, in spawn order. */
  const hosts = new Set<Host>()
  let refill: ReturnType<typeof setTimeout> | undefined
  let stopped = false

  const spawn = (): Host => {
    // smol: a smaller JS heap per worker; an idle bot measured 19.4 → 18.5 MB RSS with it
    const thread = watchThread(new Worker(entry, { type: 'module', smol: true }))
    const host: Host = { thread, tenants: 0, served: 0, draining: false }
    hosts.add(host)
    void thread.exited.then(() => hosts.delete(host))
    hooks.onSpawn?.()
    return host
  }

  /** A thread hosting bots with room for one more: the next login joins it before an empty thread or a spawn. */
  const hasRoom = (host: Host) =>
    host.thread.isAlive() && !host.draining && host.tenants > 0 && host.tenants < botsPerWorker
  const withRoom = (): Host | undefined => {
    for (const host of hosts) if (hasRoom(host)) return host
    return undefined
  }

  function scheduleSpare() {
    if (settings.spares === 0 || refill !== undefined || stopped || idle.length > 0 || withRoom()) return
    refill = setTimeout(() => {
      refill = undefined
      if (!stopped && idle.length === 0 && !withRoom()) idle.push(spawn())
    }, SPARE_REFILL_DELAY_MS)
  }

  /** The next login's thread: one with room first (packing is the point of sharing), then an empty one, else a new one. */
  function pick(): Host {
    const joined = withRoom()
    if (joined) return joined
    let host = idle.pop() // the most recently used: its pages are still warm
    while (host && !host.thread.isAlive()) host = idle.pop()
    if (host && host.served > 0) hooks.onReuse?.()
    return host ?? spawn()
  }

  /** The bot on `connected` stopped: it moves out after a clean reset; the thread waits for the next, or ends. */
  async function moveOut(host: Host, connected: ConnectedWorker) {
    const result =
      stopped || !connected.isAlive()
        ? undefined
        : await connected.call((bot) => bot.reset(), RESET_DEADLINE_MS).catch(() => undefined)
    host.tenants -= 1
    if (result?.clean !== true || result.heapUsedBytes >= settings.maxHeapBytes * Math.max(1, host.tenants)) {
      host.draining = true
    }
    if (host.tenants > 0) return connected.detach() // its other bots keep it (draining: until they go)
    if (stopped || host.draining || !host.thread.isAlive() || idle.length >= capacity) return host.thread.terminate()
    connected.detach()
    idle.push(host)
  }

  function lend(host: Host, log: () => Logger): LentWorker {
    const connected = host.thread.attach(settings.rpcTimeoutMs)
    host.tenants += 1
    host.served += 1
    let lent = true
    let onPush: (push: WorkerPush) => void = ignore
    const { promise: exited, resolve: markExited } = Promise.withResolvers<string>()
    const handedBack = new AppError(503, 'bot_unavailable', 'The bot is unavailable: its worker stopped', {
      cause: 'handed back',
      headers: { 'Retry-After': '1' },
    })
    connected.onPush((push) => {
      switch (push.botvisor) {
        case 'log': // the port is this bot's alone: what reset() says after a logout still belongs to its log
          return log()[push.level](push.fields, push.msg)
        case 'resume_fallback': // the worker logged it; this is the count
          return hooks.onResumeFallback?.(push.reason)
        default:
          return onPush(push)
      }
    })
    // the thread ended under the bot (crash, terminate): settles once, never rejects
    void connected.exited.then((why) => {
      if (!lent) return // handed back: giveBack settles `exited` once the thread is decided
      lent = false
      onPush = ignore
      markExited(why)
    })
    // Calls still in flight when the worker is handed back fail at once, as they would if it were terminated:
    // their bot is gone, and an answer would come from a bot that no longer exists.
    const inFlight = new Set<(err: AppError) => void>()
    const call: WorkerCall = <T>(use: (bot: BotWorkerApi) => Promise<T>, deadlineMs?: number) => {
      if (!lent) return Promise.reject(handedBack)
      const { promise, resolve, reject } = Promise.withResolvers<T>()
      inFlight.add(reject)
      // settles `promise` either way; the entry goes with it, so nothing per call outlives the call
      void connected
        .call(use, deadlineMs)
        .then(resolve, reject)
        .finally(() => inFlight.delete(reject))
      return promise
    }
    return {
      call,
      exited,
      isAlive: () => lent && connected.isAlive(),
      onPush: (handler) => {
        onPush = handler
      },
      terminate() {
        connected.terminate() // `exited` settles from the thread's close, with its reason
      },
      async giveBack() {
        if (!lent) return
        lent = false
        onPush = ignore
        if (inFlight.size > 0) {
          const cut = cutOff('handed back')
          for (const reject of inFlight) reject(cut)
        }
        await moveOut(host, connected) // ends the thread itself on any doubt; never rejects
        // only now is the worker gone for its bot: a logout that waits for it finds the thread idle (or ended)
        markExited('handed back for reuse')
      },
    }
  }

  if (settings.spares > 0) idle.push(spawn())
  return {
    take(log) {
      const lent = lend(pick(), log)
      scheduleSpare()
      return lent
    },
    idleCount: () => idle.length,
    stop() {
      stopped = true
      clearTimeout(refill)
      // threads still hosting bots end with them: each bot stops or terminates its own
      for (const host of hosts) if (host.tenants === 0) host.thread.terminate()
      idle.length = 0
    },
  }
}
