import { mkdirSync, writeFileSync } from 'node:fs'
import { createProcessGroup, type ProcessGroup } from './procs.ts'

/** bench/results/<name>.json, dated (results/quick/ for a --quick bench, which git ignores). */
export function writePhaseResults(name: string, results: object, quick: boolean): void {
  const dir = new URL(quick ? 'results/quick/' : 'results/', import.meta.url).pathname
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}${name}.json`, `${JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2)}\n`)
}

/**
 * One phase run on its own (`bun bench/<phase>.ts [--quick]`): in a process group stopped at the end, its results
 * written where `bun run bench` writes them and printed as one JSON line.
 */
export async function runPhaseAlone<T extends object>(
  title: string,
  run: (group: ProcessGroup, say: (line: string) => void, quick: boolean) => Promise<T>,
  write: (results: T, quick: boolean) => void,
): Promise<void> {
  const group = createProcessGroup()
  const say = (line: string) => process.stderr.write(`${line}\n`)
  const quick = process.argv.includes('--quick')
  try {
    say(title)
    const results = await run(group, say, quick)
    write(results, quick)
    console.log(JSON.stringify(results))
  } finally {
    await group.stopAll()
  }
}
