import { connectWorker, type ConnectedWorker } from './remote.ts'

const WORKER_URL = new URL('../../workers/bot.worker.ts', import.meta.url)
/** Refill the spare after a login's burst, not during it: spawning is CPU-bound on 2 cores (docs/facts.md). */
const SPARE_REFILL_DELAY_MS = 50

export type WorkerSpawner = {
  /** A worker ready for start(): the warm spare when there is one, else a fresh spawn. */
  take(): ConnectedWorker
  stop(): void
}

/**
 * Spawns bot workers, keeping `spares` (0 or 1) spawned ahead with discord.js already loaded: a
 * login then skips the ~200 ms cold start (docs/facts.md).
 */
export function createSpawner(settings: { rpcTimeoutMs: number; spares: number }): WorkerSpawner {
  const spawn = () => {
    // smol: a smaller JS heap per worker; an idle bot measured 19.4 → 18.5 MB RSS with it
    const worker = new Worker(WORKER_URL, { type: 'module', smol: true })
    // listeners go on before any await: a message sent before we listen is lost (docs/facts.md)
    return connectWorker(worker, settings.rpcTimeoutMs)
  }
  let spare = settings.spares > 0 ? spawn() : undefined
  let refill: ReturnType<typeof setTimeout> | undefined
  let stopped = false

  return {
    take() {
      const taken = spare?.isAlive() ? spare : spawn()
      spare = undefined
      if (settings.spares > 0 && refill === undefined && !stopped) {
        refill = setTimeout(() => {
          refill = undefined
          if (!stopped) spare ??= spawn()
        }, SPARE_REFILL_DELAY_MS)
      }
      return taken
    },
    stop() {
      stopped = true
      clearTimeout(refill)
      spare?.terminate()
      spare = undefined
    },
  }
}
