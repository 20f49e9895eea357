import type { FakeInfo } from './fake-process.ts'
import { measureMemory } from './memory.ts'
import { createProcessGroup } from './procs.ts'

/**
 * `bun bench/memory-only.ts [bots=200] [repeats=2]`: only the bench's memory phase (a fresh service, bots
 * logged in 8 at a time, RSS after GC and settling, per bot above the empty service), repeated to show the spread.
 * The service starts workers from the bundle when it is fresh (`npm run build:worker`), else from source.
 */
const bots = Number(process.argv[2] ?? '200')
const repeats = Number(process.argv[3] ?? '2')
const group = createProcessGroup()
try {
  const fake = await group.start<FakeInfo>('fake-process.ts', [String(bots)], { timeoutMs: 60_000 })
  const perBot: number[] = []
  for (let i = 0; i < repeats; i++) {
    const pass = await measureMemory(
      group,
      fake.info.apiUrl,
      { who: 'ours', bots: fake.info.bots },
      { steps: [bots], settleMs: 1_500, loginConcurrency: 8, maxBots: bots },
      (line) => console.log(line),
    )
    perBot.push((pass.rssBytes[0]! - pass.baselineRssBytes) / bots / 1_048_576)
  }
  console.log(`MB per bot at ${bots} bots: ${perBot.map((mb) => mb.toFixed(2)).join(', ')}`)
} finally {
  await group.stopAll()
}
