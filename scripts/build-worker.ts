import { BUNDLE_PATH, WORKER_SOURCE } from '../src/pool/worker-entry.ts'

/**
 * `bun scripts/build-worker.ts`: bundles and minifies the bot worker (workers/bot.worker.ts and everything it
 * imports, discord.js included) into one file. Run by `npm install`/`npm ci` (postinstall) and `npm start`.
 * Every worker is its own JS VM that loads its code again: one minified module instead of ~450 CommonJS files
 * saves about 1.4 MB per bot and a third of the CPU a worker spends starting (docs/facts.md, "Memory per bot").
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
  const bytes = await Bun.write(path, output)
  return { path, bytes }
}

if (import.meta.main) {
  const { path, bytes } = await buildWorker()
  console.log(`bot worker bundled: ${path} (${(bytes / 1024).toFixed(0)} KB)`)
}
