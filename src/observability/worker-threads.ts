import { readdirSync, readFileSync } from 'node:fs'

/**
 * Live worker threads of this process: Bun names each Worker's thread "Worker" (/proc/self/task/<tid>/comm), so
 * the count sees a worker the pool forgot but never terminated. null where /proc is missing (not Linux).
 */
export function countWorkerThreads(): number | null {
  let tasks: string[]
  try {
    tasks = readdirSync('/proc/self/task')
  } catch {
    return null
  }
  let workers = 0
  for (const task of tasks) {
    try {
      if (readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim() === 'Worker') workers++
    } catch {
      // the thread ended between the listing and the read: it is not alive
    }
  }
  return workers
}
