import { wrap } from 'comlink'
import { isWorkerPush, type BotWorkerApi, type WorkerPush } from '../contract.ts'
import { AppError } from '../errors.ts'

export type WorkerCall = <T>(use: (bot: BotWorkerApi) => Promise<T>, deadlineMs?: number) => Promise<T>

export type ConnectedWorker = {
  call: WorkerCall
  /** Settles once the worker is gone, with why: crash, exit or terminate. */
  exited: Promise<string>
  isAlive(): boolean
  terminate(): void
  /** Where the worker's pushes go; a spare worker gets its bot's handler when it is taken. */
  onPush(handler: (push: WorkerPush) => void): void
}

/**
 * Wraps a Worker so every call settles by its deadline or the worker's death. Comlink settles a call only
 * when a reply with its id arrives; a dead worker never replies (docs/facts.md), so without this a
 * crashed bot would hang its callers forever.
 *
 * The death is not a promise every call races: a reaction on a promise that stays pending for the
 * worker's life holds each call's result until the worker ends (measured: 20 000 calls of ~10 KB kept
 * 171 MB, `bench/rpc-retention.ts`). Each call instead registers its rejecter while pending and removes it
 * when it settles; a death rejects the ones still there.
 */
export function connectWorker(worker: Worker, defaultDeadlineMs: number): ConnectedWorker {
  // Every method of the contract already returns a Promise of clonable data, so Comlink's Remote<T>
  // is T itself; naming it so keeps the result types precise (Remote maps unions into unions of Promises).
  const remote = wrap<BotWorkerApi>(worker) as unknown as BotWorkerApi
  const pending = new Set<(err: AppError) => void>()
  const { promise: exited, resolve: markExited } = Promise.withResolvers<string>()
  let gone: AppError | undefined
  let crash: string | undefined
  const die = (why: string) => {
    gone ??= new AppError(503, 'bot_unavailable', 'The bot is unavailable: its worker stopped', {
      cause: why,
      headers: { 'Retry-After': '1' },
    })
    if (pending.size > 0) {
      const cut = cutOff(why)
      for (const reject of pending) reject(cut)
    }
    pending.clear()
    markExited(why)
  }
  let pushHandler: (push: WorkerPush) => void = () => {}
  worker.addEventListener('message', (event: MessageEvent) => {
    if (isWorkerPush(event.data)) pushHandler(event.data)
  })
  // An unhandled rejection closes a worker with code 0 like a clean stop: the error event tells them apart.
  worker.addEventListener('error', (event) => {
    crash ??= crashSummary(event.message)
  })
  worker.addEventListener('close', (event) => {
    die(crash ? `crashed: ${crash}` : `exited with code ${(event as CloseEvent).code}`)
  })

  const call: WorkerCall = (use, deadlineMs = defaultDeadlineMs) => {
    // a message posted to a dead worker is silently dropped: fail fast instead of posting
    if (gone) return Promise.reject(gone)
    return settleInTime(use(remote), pending, deadlineMs)
  }
  return {
    call,
    exited,
    isAlive: () => gone === undefined,
    terminate: () => worker.terminate(),
    onPush: (handler) => {
      pushHandler = handler
    },
  }
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
