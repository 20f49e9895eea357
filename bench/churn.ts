/**
 * `bun bench/churn.ts [cycles]`: login/logout churn with nothing left running, as issue 10 measured it.
 * The fake Discord runs in a child process so the numbers are the gateway's alone; the service runs here.
 * Prints RSS and JS heap (after a forced GC and a short settle) after a warm-up and after every quarter.
 * Settings pass through from the environment (e.g. `IDLE_WORKERS=0 bun bench/churn.ts` for the old behaviour).
 */
import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/log.ts'
import { startService } from '../src/service.ts'

const CYCLES = Number(process.argv[2] ?? 1000)
const WARMUP = 20
const SETTLE_MS = 1_500

const fake = Bun.spawn(['bun', 'fake-discord/cli.ts', '--port', '0'], { stdout: 'pipe', stderr: 'inherit' })
process.on('exit', () => fake.kill()) // also when a cycle throws: the child must not outlive the bench
const banner = await readUntil(fake.stdout, /ids:/)
const apiUrl = /REST\s+(\S+)/.exec(banner)?.[1]
const tokens = [...banner.matchAll(/^ {2}(alpha|beta|gamma|solo)\s+(\S+)$/gm)].map((match) => match[2] as string)
if (!apiUrl || tokens.length === 0) throw new Error(`could not read the fake Discord's banner:\n${banner}`)

const passThrough = Object.fromEntries(
  ['IDLE_WORKERS', 'WARM_SPARE_WORKERS', 'LOGIN_CONCURRENCY'].flatMap((key) =>
    Bun.env[key] ? [[key, Bun.env[key]]] : [],
  ),
)
const config = loadConfig({
  PORT: '0',
  DISCORD_API_URL: apiUrl,
  LOG_LEVEL: 'silent',
  // the bench is one client (127.0.0.1): not what the per-IP login limits are for
  LOGIN_BURST: '1000000',
  LOGIN_PER_MINUTE: '1000000',
  LOGIN_MAX_PENDING_PER_IP: '100000',
  METRICS_PUBLIC: '1',
  ...passThrough,
})
const service = startService(config, createLogger('silent'))

async function cycle(token: string) {
  const login = await fetch(`${service.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  })
  const body = (await login.json()) as { sessionId?: string }
  if (login.status !== 200 || !body.sessionId)
    throw new Error(`login answered ${login.status}: ${JSON.stringify(body)}`)
  const logout = await fetch(`${service.url}/api/auth/logout`, {
    method: 'POST',
    headers: { authorization: body.sessionId },
  })
  if (logout.status !== 200) throw new Error(`logout answered ${logout.status}`)
  await logout.arrayBuffer()
}

async function measure() {
  Bun.gc(true)
  await Bun.sleep(SETTLE_MS)
  Bun.gc(true)
  const memory = process.memoryUsage()
  return { rssMb: memory.rss / 1_048_576, heapMb: memory.heapUsed / 1_048_576 }
}

const mb = (value: number) => value.toFixed(1).padStart(7)
try {
  for (let i = 0; i < WARMUP; i++) await cycle(tokens[i % tokens.length] as string)
  const base = await measure()
  const startedAt = performance.now()
  console.log(`settings: ${JSON.stringify(passThrough)}  cycles: ${CYCLES} after ${WARMUP} warm-up`)
  console.log(`  cycles     RSS MB   heap MB   ΔRSS MB  Δheap MB`)
  console.log(`       0 ${mb(base.rssMb)}   ${mb(base.heapMb)}`)
  for (let done = 1; done <= CYCLES; done++) {
    await cycle(tokens[done % tokens.length] as string)
    if (done % Math.max(1, Math.floor(CYCLES / 4)) === 0 || done === CYCLES) {
      const now = await measure()
      console.log(
        `${String(done).padStart(8)} ${mb(now.rssMb)}   ${mb(now.heapMb)}   ${mb(now.rssMb - base.rssMb)}  ${mb(now.heapMb - base.heapMb)}`,
      )
    }
  }
  console.log(`  ${((performance.now() - startedAt) / CYCLES).toFixed(0)} ms per cycle`)
  const metrics = await fetch(`${service.url}/metrics`).then((res) => (res.status === 200 ? res.text() : ''))
  const spawned = /^botvisor_workers_spawned_total (\d+)/m.exec(metrics)?.[1]
  if (spawned) console.log(`  workers spawned: ${spawned}`)
} finally {
  await service.stop(0)
  fake.kill()
}

async function readUntil(stream: ReadableStream<Uint8Array>, end: RegExp): Promise<string> {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (!end.test(text)) {
    const { value, done } = await reader.read()
    if (done) break
    text += decoder.decode(value)
  }
  reader.releaseLock()
  return text
}
