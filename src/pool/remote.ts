import { releaseProxy, wrap, type Remote } from 'comlink'
import { isWorkerPush, type BotAttach, type BotWorkerApi, type WorkerPush } from '../contract.ts'
import { AppError } from '../errors.ts'

export type WorkerCall = <T>(use: (bot: BotWorkerApi) => Promise<T>, deadlineMs?: number) => Promise<T>

/** One bot's connection to the worker thread hosting it. */
export type ConnectedWorker = {
  call: WorkerCall
  /** Settles once the bot is gone from its thread, with why: crash, exit, terminate, or detach(). */
  exited: Promise<string>
  isAlive(): boolean
  /** Ends the whole thread, with every bot it hosts. */
  terminate(): void
  /** Where the bot's pushes go. */
  onPush(handler: (push: WorkerPush) => void): void
  /** Moves the bot out of a thread that lives on: the worker drops its closure, calls still pending fail. */
  detach(): void
}

/** A worker thread, hosting one bot or several (BOTS_PER_WORKER), each on a MessagePort of its own. */
export type WorkerThread = {
  /** Moves a bot in: its calls and pushes go over its own port, its calls settle by `deadlineMs` or the thread's end. */
  attach(deadlineMs: number): ConnectedWorker
  /** Settles once the thread is gone, with why. */
  exited: Promise<string>
  isAlive(): boolean
  terminate(): void
}

/**
 * Watches a Worker for its end and tells each bot it hosts. Comlink settles a call only when a reply with its id
 * arrives; a dead worker never replies (docs/facts.md), so without this a crashed bot would hang its callers forever.
 * Listeners go on before any await: a message sent before we listen is lost (docs/facts.md).
 */
export function watchThread(worker: Worker): WorkerThread {
  const tenants = new Set<(why: string) => void>()
  const { promise: exited, resolve: markExited } = Promise.withResolvers<string>()
  let crash: string | undefined
  let gone: string | undefined
  // An unhandled rejection closes a worker with code 0 like a clean stop: the error event tells them apart.
  worker.addEventListener('error', (event) => {
    crash ??= crashSummary(event.message)
  })
  worker.addEventListener('close', (event) => {
    gone = crash ? `crashed: ${crash}` : `exited with code ${(event as CloseEvent).code}`
    for (const die of tenants) die(gone)
    tenants.clear()
    markExited(gone)
  })
  const terminate = () => worker.terminate()
  return {
    attach(deadlineMs) {
      const { port1, port2 } = new MessageChannel()
      worker.postMessage({ botvisor: 'attach', port: port2 } satisfies BotAttach, [port2])
      const bot = connectPort(port1, deadlineMs, terminate)
      if (gone) bot.die(gone)
      else {
        tenants.add(bot.die)
        // a detached bot leaves the set: a thread serving logins for weeks must not keep every bot it hosted
        void bot.connected.exited.then(() => tenants.delete(bot.die))
      }
      return bot.connected
    },
    exited,
    isAlive: () => gone === undefined,
    terminate,
  }
}

/**
 * One bot's calls over its port, each settling by its deadline or the bot's end.
 *
 * The end is not a promise every call races: a reaction on a promise that stays pending for the worker's life
 * holds each call's result until the worker ends (measured: 20 000 calls of ~10 KB kept 171 MB,
 * `bench/rpc-retention.ts`). Each call instead registers its rejecter while pending and removes it when it
 * settles; the end rejects the ones still there.
 */
function connectPort(
  port: MessagePort,
  defaultDeadlineMs: number,
  terminate: () => void,
): { connected: ConnectedWorker; die: (why: string) => void } {
  // Every method of the contract already returns a Promise of clonable data, so Comlink's Remote<T>
  // is T itself; naming it so keeps the result types precise (Remote maps unions into unions of Promises).
  const proxy: Remote<BotWorkerApi> = wrap<BotWorkerApi>(port)
  const remote = proxy as unknown as BotWorkerApi
  const pending = new Set<(err: AppError) => void>()
  const { promise: exited, resolve: markExited } = Promise.withResolvers<string>()
  let gone: AppError | undefined
  const die = (why: string) => {
    if (gone) return
    gone = new AppError(503, 'bot_unavailable', 'The bot is unavailable: its worker stopped', {
      cause: why,
      headers: { 'Retry-After': '1' },
    })
    if (pending.size > 0) {
      const cut = cutOff(why)
      for (const reject of pending) reject(cut)
    }
    pending.clear()
    pushHandler = () => {}
    markExited(why)
  }
  let pushHandler: (push: WorkerPush) => void = () => {}
  port.addEventListener('message', (event: MessageEvent) => {
    if (isWorkerPush(event.data)) pushHandler(event.data)
  })
  port.start()

  const call: WorkerCall = (use, deadlineMs = defaultDeadlineMs) => {
    // a message posted to a dead worker is silently dropped: fail fast instead of posting
    if (gone) return Promise.reject(gone)
    return settleInTime(use(remote), pending, deadlineMs)
  }
  const connected: ConnectedWorker = {
    call,
    exited,
    isAlive: () => gone === undefined,
    terminate,
    onPush: (handler) => {
      pushHandler = handler
    },
    detach() {
      if (gone) return
      die('detached')
      // Comlink's RELEASE: the worker stops serving the port and closes it, and the bot's closure is garbage there;
      // our end closes when the worker acknowledges (a thread that never does is one being terminated)
      proxy[releaseProxy]()
    },
  }
  return { connected, die }
}

const cutOffErrors = new WeakSet<AppError>()

/**
 * The error of a call whose worker died (or was handed back) while the call was in flight: the worker may
 * have done what was asked (a send may have reached Discord), so `wasCutOff()` lets a write say so.
 */
export function cutOff(why: string): AppError {
  const err = new AppError(503, 'bot_unavailable', 'The bot is unavailable: its worker stopped while answering', {
    cause: why,
    headers: { 'Retry-After': '1' },
  })
  cutOffErrors.add(err)
  return err
}
export const wasCutOff = (err: unknown): boolean => err instanceof AppError && cutOffErrors.has(err)

/** Bun's message carries a source code frame; the log wants the one line that names the error. */
function crashSummary(message: string | undefined): string {
  const lines = (message ?? '').split('\n').map((line) => line.trim())
  const named = lines.find((line) => /^(\w*error|uncaught)\b.*:/i.test(line)) ?? lines.find(Boolean) ?? 'uncaught error'
  return named.slice(0, 200)
}

/** The call's answer, or bot_timeout at its deadline, or the worker's death; nothing of it stays registered once settled. */
function settleInTime<T>(work: Promise<T>, pending: Set<(err: AppError) => void>, deadlineMs: number): Promise<T> {
  const { promise, resolve, reject } = Promise.withResolvers<T>()
  const timer = setTimeout(
    () => reject(new AppError(504, 'bot_timeout', `The bot did not answer within ${deadlineMs} ms`)),
    deadlineMs,
  )
  pending.add(reject)
  work.then(resolve, reject)
  return promise.finally(() => {
    clearTimeout(timer)
    pending.delete(reject)
  })
}
