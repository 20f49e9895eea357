import { renameSync } from 'node:fs'
import { BUNDLE_PATH, WORKER_SOURCE, workerEntry } from '../src/pool/worker-entry.ts'

/**
 * `bun scripts/build-worker.ts [--if-stale]`: bundles and minifies the bot worker (workers/bot.worker.ts and
 * everything it imports, discord.js included) into one file. Run by `npm install`/`npm ci` (postinstall),
 * `npm start` and `npm run bench`. Every worker is its own JS VM that loads its code again: one minified module
 * instead of ~450 CommonJS files saves 1.1–1.4 MB per bot (docs/facts.md, "Memory per bot").
 */
export async function buildWorker(
  path = BUNDLE_PATH,
  source = WORKER_SOURCE,
): Promise<{ path: string; bytes: number }> {
  const result = await Bun.build({
    entrypoints: [source],
    target: 'bun',
    format: 'esm',
    minify: true,
    // optional native add-ons that @discordjs/ws and ws load only when installed (they are not)
    external: ['zlib-sync', 'bufferutil', 'utf-8-validate'],
  })
  const [output] = result.outputs
  if (!result.success || !output || result.outputs.length !== 1) {
    throw new AggregateError(result.logs, 'bundling the bot worker failed')
  }
  // written aside, then renamed: a worker spawned meanwhile (another `npm start`, a test) reads the old file or the new one
  const aside = `${path}.${process.pid}.tmp`
  const bytes = await Bun.write(aside, output)
  renameSync(aside, path)
  return { path, bytes }
}

// `--if-stale` (npm start, npm run bench): keep a bundle that is newer than every source, as workers would
if (import.meta.main) {
  if (process.argv.includes('--if-stale') && workerEntry().pathname === BUNDLE_PATH) process.exit(0)
  const { path, bytes } = await buildWorker()
  console.log(`bot worker bundled: ${path} (${(bytes / 1024).toFixed(0)} KB)`)
}
