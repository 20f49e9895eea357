import { readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const WORKER_SOURCE = `${ROOT}workers/bot.worker.ts`
/** Written by scripts/build-worker.ts (npm install, npm start); git ignores node_modules. */
export const BUNDLE_PATH = `${ROOT}node_modules/.cache/botvisor/bot.worker.js`
/** The same code as CommonJS with its JSC bytecode (`….js.jsc`) beside it: WORKER_BYTECODE=1. */
export const BYTECODE_BUNDLE_PATH = `${ROOT}node_modules/.cache/botvisor/bot.worker.bytecode.js`
/** What the bundle is built from: the worker's code, the contract it imports, and the installed packages. */
const INPUTS = ['workers', 'src', 'package-lock.json']

/**
 * The file to start bot workers from: the minified bundle when it is newer than every source it was built
 * from, else workers/bot.worker.ts itself (a checkout edited since the last build, tests after a change). Both
 * run the same code; the bundle costs less memory per bot (scripts/build-worker.ts). Decided once per process.
 */
export function workerEntry(bundlePath = BUNDLE_PATH): URL {
  const built = mtimeOf(bundlePath)
  const fresh = built !== undefined && INPUTS.every((input) => newestUnder(`${ROOT}${input}`) <= built)
  return new URL(`file://${fresh ? bundlePath : WORKER_SOURCE}`)
}

const mtimeOf = (path: string): number | undefined => statSync(path, { throwIfNoEntry: false })?.mtimeMs

function newestUnder(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false })
  if (!stat) return 0
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs // a deleted file shows as its folder's change
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestUnder(`${path}/${entry}`))
  return newest
}
