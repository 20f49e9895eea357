import { renameSync, rmSync } from 'node:fs'
import { BUNDLE_PATH, BYTECODE_BUNDLE_PATH, WORKER_SOURCE, workerEntry } from '../src/pool/worker-entry.ts'

/**
 * `bun scripts/build-worker.ts [--if-stale]`: bundles and minifies the bot worker (workers/bot.worker.ts and
 * everything it imports, discord.js included) into one file. Run by `npm install`/`npm ci` (postinstall),
 * `npm start` and `npm run bench`. Every worker is its own JS VM that loads its code again: one minified module
 * instead of ~450 CommonJS files saves 1.1–1.4 MB per bot (docs/facts.md, "Memory per bot").
 *
 * With `bytecode`, the same code as CommonJS with JSC bytecode beside it (`<bundle>.jsc`, which Bun loads instead
 * of parsing and compiling the source; ESM bytecode needs `--compile`): a worker is ready in ~80 ms instead of
 * ~140 ms, but a logged-in bot holds 1.7 MB more (19.0 vs 17.3 MB; 20 workers each, 2026-11-25). WORKER_BYTECODE
 * chooses. JSC checks the bytecode against the source and its own build, and parses the source when they differ.
 */
export async function buildWorker(
  path = BUNDLE_PATH,
  source = WORKER_SOURCE,
  { bytecode = false } = {},
): Promise<{ path: string; bytes: number }> {
  const result = await Bun.build({
    entrypoints: [source],
    target: 'bun',
    format: bytecode ? 'cjs' : 'esm',
    bytecode,
    minify: true,
    // optional native add-ons that @discordjs/ws and ws load only when installed (they are not)
    external: ['zlib-sync', 'bufferutil', 'utf-8-validate'],
  })
  const output = result.outputs.find((file) => file.kind === 'entry-point')
  const cache = result.outputs.find((file) => file.kind === 'bytecode')
  if (!result.success || !output || result.outputs.length !== (bytecode ? 2 : 1) || (bytecode && !cache)) {
    throw new AggregateError(result.logs, 'bundling the bot worker failed')
  }
  // written aside, then renamed (the bytecode first): a worker spawned meanwhile (another `npm start`, a test)
  // reads the old file or the new one, and bytecode that does not match its source is not used
  const aside = `${path}.${process.pid}.tmp`
  try {
    if (cache) {
      await Bun.write(`${aside}.jsc`, cache)
      renameSync(`${aside}.jsc`, `${path}.jsc`)
    }
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
  const ifStale = process.argv.includes('--if-stale')
  for (const [path, bytecode] of [
    [BUNDLE_PATH, false],
    [BYTECODE_BUNDLE_PATH, true],
  ] as const) {
    if (ifStale && workerEntry(path).pathname === path) continue
    const built = await buildWorker(path, WORKER_SOURCE, { bytecode })
    console.log(`bot worker bundled: ${built.path} (${(built.bytes / 1024).toFixed(0)} KB)`)
  }
}
