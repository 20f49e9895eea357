import type { BotWorkerApi, ResumeFallbackReason, WorkerPush } from '../contract.ts'
import { AppError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { connectWorker, cutOff, type ConnectedWorker, type WorkerCall } from './remote.ts'
import { BUNDLE_PATH, BYTECODE_BUNDLE_PATH, workerEntry } from './worker-entry.ts'

/** Refill the spare after a login's burst, not during it: spawning is CPU-bound on 2 cores (docs/facts.md). */
const SPARE_REFILL_DELAY_MS = 50
/** reset() is a GC and a few assignments; a worker slower than this is not one to hand to the next bot. */
const RESET_DEADLINE_MS = 2_000

/** A worker lent to one bot. Once given back or terminated, this handle is dead to its bot, whatever the thread does next. */
export type LentWorker = ConnectedWorker & {
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

type Slot = {
  connected: ConnectedWorker
  /** Where the thread's pushes go: the current lease, or nowhere while idle. */
  route: (push: WorkerPush) => void
  /** Ends the current lease when the thread dies under it. */
  onExit: (why: string) => void
  served: number
}

const ignore = () => {}

/**
 * Spawns bot workers and keeps up to `maxIdle` of them idle for reuse: Bun leaks some memory per Worker
 * created (docs/facts.md; issue 10 measured +70 MB RSS over 750 login/logout cycles), and a reused worker
 * also skips the ~200 ms cold start. A worker is reused only after its bot stopped cleanly and reset()
 * reported nothing left behind; crashed, hung, recycled or unclean workers are terminated by their bot.
 * With `spares` 1, one worker is spawned ahead whenever none is idle.
 */
export function createSpawner(settings: {
  rpcTimeoutMs: number
  spares: number
  maxIdle: number
  maxHeapBytes: number
  /** WORKER_BYTECODE: the bundle with JSC bytecode beside it, faster to start, bigger per bot. */
  bytecode?: boolean
  hooks?: SpawnerHooks
}): WorkerSpawner {
  const { hooks = {} } = settings
  // the minified bundle when it is up to date (worker-entry.ts)
  const entry = workerEntry(settings.bytecode ? BYTECODE_BUNDLE_PATH : BUNDLE_PATH)
  const capacity = Math.max(settings.maxIdle, settings.spares)
  const idle: Slot[] = []
  const resetting = new Set<Slot>()
  let refill: ReturnType<typeof setTimeout> | undefined
  let stopped = false

  const spawn = (): Slot => {
    // smol: a smaller JS heap per worker; an idle bot measured 19.4 → 18.5 MB RSS with it
    const worker = new Worker(entry, { type: 'module', smol: true })
    // listeners go on before any await: a message sent before we listen is lost (docs/facts.md)
    const connected = connectWorker(worker, settings.rpcTimeoutMs)
    const slot: Slot = { connected, route: ignore, onExit: ignore, served: 0 }
    connected.onPush((push) => slot.route(push))
    void connected.exited.then((why) => slot.onExit(why)) // settles once per thread, never rejects
    hooks.onSpawn?.()
    return slot
  }

  function scheduleSpare() {
    if (settings.spares === 0 || refill !== undefined || stopped || idle.length > 0) return
    refill = setTimeout(() => {
      refill = undefined
      if (!stopped && idle.length === 0) idle.push(spawn())
    }, SPARE_REFILL_DELAY_MS)
  }

  async function recycle(slot: Slot) {
    if (stopped || !slot.connected.isAlive() || idle.length + resetting.size >= capacity)
      return slot.connected.terminate()
    resetting.add(slot)
    const result = await slot.connected.call((bot) => bot.reset(), RESET_DEADLINE_MS).catch(() => undefined)
    resetting.delete(slot)
    const reusable = result?.clean === true && result.heapUsedBytes < settings.maxHeapBytes
    if (!reusable || stopped || !slot.connected.isAlive() || idle.length >= capacity) return slot.connected.terminate()
    idle.push(slot)
  }

  function lend(slot: Slot, log: () => Logger): LentWorker {
    const { connected } = slot
    let lent = true
    let onPush: (push: WorkerPush) => void = ignore
    const { promise: exited, resolve: markExited } = Promise.withResolvers<string>()
    const handedBack = new AppError(503, 'bot_unavailable', 'The bot is unavailable: its worker stopped', {
      cause: 'handed back',
      headers: { 'Retry-After': '1' },
    })
    const end = (why: string) => {
      lent = false
      slot.route = ignore
      slot.onExit = ignore
      onPush = ignore
      markExited(why)
    }
    slot.route = (push) => {
      switch (push.botvisor) {
        case 'log':
          return log()[push.level](push.fields, push.msg)
        case 'resume_fallback': // the worker logged it; this is the count
          return hooks.onResumeFallback?.(push.reason)
        default:
          return onPush(push)
      }
    }
    slot.onExit = end
    // Calls still in flight when the worker is handed back fail at once, as they would if it were terminated:
    // their bot is gone, and the answer would come from a worker that now serves no one or another bot.
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
        slot.onExit = ignore
        if (inFlight.size > 0) {
          const cut = cutOff('handed back')
          for (const reject of inFlight) reject(cut)
        }
        // what reset() has to say still belongs to this bot's log; the next take() replaces the route
        const last = log()
        slot.route = (push) => {
          if (push.botvisor === 'log') last[push.level](push.fields, push.msg)
        }
        await recycle(slot) // recycle ends the worker itself on any doubt; it never rejects
        // only now is the worker gone for its bot: a logout that waits for it finds the worker idle (or ended)
        markExited('handed back for reuse')
      },
    }
  }

  if (settings.spares > 0) idle.push(spawn())
  return {
    take(log) {
      let slot = idle.pop() // the most recently used: its pages are still warm
      while (slot && !slot.connected.isAlive()) slot = idle.pop()
      if (slot && slot.served > 0) hooks.onReuse?.()
      slot ??= spawn()
      slot.served += 1
      scheduleSpare()
      return lend(slot, log)
    },
    idleCount: () => idle.length,
    stop() {
      stopped = true
      clearTimeout(refill)
      for (const slot of [...idle.splice(0), ...resetting]) slot.connected.terminate()
    },
  }
}
