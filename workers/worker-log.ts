import type { WorkerLogLevel, WorkerPush } from '../src/contract.ts'

export type LogFields = Record<string, string | number | boolean | null>
export type WorkerLog = Record<WorkerLogLevel, (fields: LogFields, msg: string) => void>

/**
 * The worker has no logger of its own: a line goes to the gateway as a push, where the pool's logger binds
 * it to the worker and bot and redacts as it does everything else. Fields are flat primitives by type, so
 * no discord.js object (whose errors carry URLs and request bodies) can ride along.
 */
export function createWorkerLog(push: (message: WorkerPush) => void): WorkerLog {
  const at = (level: WorkerLogLevel) => (fields: LogFields, msg: string) =>
    push({ botvisor: 'log', level, msg, fields })
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
