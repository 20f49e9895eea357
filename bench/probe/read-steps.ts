import { readSessionId } from '../../src/http/auth.ts'
import { readQuery } from '../../src/http/fast-reads.ts'
import { SNOWFLAKE } from '../../src/http/query.ts'
import { splitUrl } from '../../src/http/short-path.ts'

/**
 * `bun bench/probe/read-steps.ts [iterations=2000000]`: what the cached read's own steps cost in a hot loop, ns per
 * call, to set beside what they cost per request in the server (bench/probe/read-cpu.ts): there, between two
 * requests, the kernel's TCP path and Bun's native HTTP code run, and the same steps meet cold caches.
 */
const iterations = Number(process.argv[2] ?? 2_000_000)
let sink: unknown
function time(name: string, step: (i: number) => unknown) {
  for (let i = 0; i < iterations / 10; i++) sink = step(i) // warm-up: let the JIT compile it
  const started = Bun.nanoseconds()
  for (let i = 0; i < iterations; i++) sink = step(i)
  console.log(`${name.padEnd(36)} ${((Bun.nanoseconds() - started) / iterations).toFixed(1)} ns`)
}

const urls = Array.from(
  { length: 50 },
  (_, i) => `http://127.0.0.1:4567/api/channels?guildId=1234567890123456${i + 10}`,
)
const ids = Array.from({ length: 50 }, (_, i) => `abcdefghijklmnopqrs${i + 10}`)
const byId = new Map(ids.map((id) => [id, id]))
const request = new Request(urls[0] ?? '', { headers: { authorization: ids[0] ?? '', host: '127.0.0.1:4567' } })
const keys = ['guildId']

time('splitUrl', (i) => splitUrl(urls[i % 50] ?? ''))
time('readQuery, one key', () => readQuery('guildId=123456789012345678', keys))
time('SNOWFLAKE.test', () => SNOWFLAKE.test('123456789012345678'))
time('readSessionId, a bare id', (i) => readSessionId(ids[i % 50]))
time('Map.get of a fresh string', (i) => byId.get((urls[i % 50] ?? '').slice(0, 21)))
time('Date.now()', () => Date.now())
time('performance.now()', () => performance.now())
time("request.headers.get('authorization')", () => request.headers.get('authorization'))
if (sink === Symbol.for('never')) console.log(sink) // keeps the results alive
