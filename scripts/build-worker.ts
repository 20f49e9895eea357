import { renameSync, rmSync } from 'node:fs'
import { BUNDLE_PATH, WORKER_SOURCE, workerEntry } from '../src/pool/worker-entry.ts'

/**
 * `bun scripts/build-worker.ts [--if-stale]`: bundles and minifies the bot worker (workers/bot.worker.ts and
 * everything it imports, discord.js included) into one file. Run by `npm install`/`npm ci` (postinstall),
 * `npm start` and `npm run bench`. Every worker is its own JS VM that loads its code again: one minified module
 * instead of ~450 CommonJS files saves 1.1–1.4 MB per bot (docs/facts.md, "Memory per bot").
 * With JSC bytecode beside it (`<bundle>.jsc`, which Bun loads instead of parsing and compiling the source; CommonJS
 * only: ESM bytecode needs `--compile`), a worker is ready in ~80 ms instead of ~140 ms (measured 2026-11-25, 8
 * spawns each, same RSS per worker): a restart brings every bot back with a fresh worker, so this is most of its
 * CPU. JSC checks the bytecode against the source and its own build, and parses the source when they differ.
 */
export async function buildWorker(
  path = BUNDLE_PATH,
  source = WORKER_SOURCE,
): Promise<{ path: string; bytes: number }> {
  const result = await Bun.build({
    entrypoints: [source],
    target: 'bun',
    format: 'cjs',
    bytecode: true,
    minify: true,
    // optional native add-ons that @discordjs/ws and ws load only when installed (they are not)
    external: ['zlib-sync', 'bufferutil', 'utf-8-validate'],
  })
  const output = result.outputs.find((file) => file.kind === 'entry-point')
  const bytecode = result.outputs.find((file) => file.kind === 'bytecode')
  if (!result.success || !output || !bytecode || result.outputs.length !== 2) {
    throw new AggregateError(result.logs, 'bundling the bot worker failed')
  }
  // written aside, then renamed, the bytecode first: a worker spawned meanwhile (another `npm start`, a test)
  // reads the old files or the new ones, and bytecode that does not match its source is ignored by Bun
  const aside = `${path}.${process.pid}.tmp`
  try {
    await Bun.write(`${aside}.jsc`, bytecode)
    renameSync(`${aside}.jsc`, `${path}.jsc`)
    const bytes = await Bun.write(aside, output)
    renameSync(aside, path)
    return { path, bytes }
  } finally {
    rmSync(aside, { force: true })
    rmSync(`${aside}.jsc`, { force: true })
  }
}

// `--if-stale` (npm start, npm run bench): keep a bundle that is newer than every source, as workers would
if (import.meta.main) {
  if (process.argv.includes('--if-stale') && workerEntry().pathname === BUNDLE_PATH) process.exit(0)
  const { path, bytes } = await buildWorker()
  console.log(`bot worker bundled: ${path} (${(bytes / 1024).toFixed(0)} KB)`)
}
