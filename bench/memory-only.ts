import type { FakeInfo } from './fake-process.ts'
import { percentile } from './logins.ts'
import { measureMemory, type Design } from './memory.ts'
import { createProcessGroup } from './procs.ts'

/**
 * `bun bench/memory-only.ts [bots=200] [repeats=2] [ours|packed]`: only the bench's memory phase (a fresh service,
 * bots logged in 8 at a time, RSS after GC and settling, per bot above the empty service, login p50), repeated to
 * show the spread; `packed` is the service with BOTS_PER_WORKER (memory.ts).
 * The service starts workers from the bundle when it is fresh (`npm run build:worker`), else from source.
 */
const bots = Number(process.argv[2] ?? '200')
const repeats = Number(process.argv[3] ?? '2')
const who = (process.argv[4] ?? 'ours') as Design['who']
if (who !== 'ours' && who !== 'packed') throw new Error('the design is ours or packed')
const group = createProcessGroup()
try {
  const fake = await group.start<FakeInfo>('fake-process.ts', [String(bots)], { timeoutMs: 60_000 })
  const perBot: number[] = []
  const loginP50: number[] = []
  for (let i = 0; i < repeats; i++) {
    const pass = await measureMemory(
      group,
      fake.info.apiUrl,
      { who, bots: fake.info.bots },
      { steps: [bots], settleMs: 1_500, loginConcurrency: 8, maxBots: bots },
      (line) => console.log(line),
    )
    perBot.push((pass.rssBytes[0]! - pass.baselineRssBytes) / bots / 1_048_576)
    loginP50.push(percentile(pass.loginLatenciesMs, 50))
  }
  console.log(`MB per bot at ${bots} bots: ${perBot.map((mb) => mb.toFixed(2)).join(', ')}`)
  console.log(`login p50, 8 at a time: ${loginP50.map((ms) => `${Math.round(ms)} ms`).join(', ')}`)
} finally {
  await group.stopAll()
}
