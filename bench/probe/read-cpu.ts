import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FakeInfo } from '../fake-process.ts'
import type { LimitInfo } from '../limit-server.ts'
import { runLoad, type LoadResult } from '../load.ts'
import { loginAll } from '../logins.ts'
import { serviceOverrides } from '../memory.ts'
import { createProcessGroup } from '../procs.ts'
import type { ServiceInfo } from '../service-process.ts'
import { cpuByGroup, threadCpu } from '../thread-cpu.ts'

/**
 * `bun bench/probe/read-cpu.ts [bots=50] [rounds=3] [seconds=5]`: where the cached read's distance to bare
 * `Bun.serve` goes. Five servers take turns under wrk (50 connections, 3 s warm-up), all sending the same
 * channel-list body: the bench's bare ceiling; the same with the service's security headers, in a shared `Headers`
 * object and as a plain object; the floor (the
 * headers, plus the Authorization header read and looked up in a Map: the least any gateway must do,
 * limit-server.ts); and the packed service (`BOTS_PER_WORKER=10`, as the bench's packed pass) with `bots` logged
 * in. Each turn reads the server's threads' CPU from /proc around the measured run: CPU µs per request on its main
 * thread and on the rest, and the bytes of one response's headers.
 */
const [bots = 50, rounds = 3, seconds = 5] = process.argv.slice(2).map(Number)
const say = (line: string) => process.stderr.write(`${line}\n`)
const group = createProcessGroup()
const dir = await mkdtemp(join(tmpdir(), 'botvisor-read-cpu-'))
try {
  const fake = await group.start<FakeInfo>('fake-process.ts', [String(bots)], { timeoutMs: 60_000 })
  // READ_CPU_PROFILE=<dir>: the service also writes a CPU profile of its main thread there (markdown) when it ends
  const profileDir = process.env.READ_CPU_PROFILE
  const service = await group.start<ServiceInfo>(
    'service-process.ts',
    [fake.info.apiUrl, String(bots + 10), serviceOverrides('packed')],
    { bunFlags: profileDir ? ['--cpu-prof-md', '--cpu-prof-interval=100', `--cpu-prof-dir=${profileDir}`] : [] },
  )
  const pool = fake.info.bots.slice(0, bots)
  const run = await loginAll(
    service.info.url,
    pool.map((bot) => bot.token),
    8,
  )
  const requests = pool.map((bot, i) => ({
    session: run.sessions[i] ?? '',
    path: `/api/channels?guildId=${bot.guildId}`,
  }))
  const first = requests[0] as { session: string; path: string }
  const sample = await fetch(service.info.url + first.path, { headers: { authorization: first.session } })
  const body = await sample.text()
  const files = [join(dir, 'channels.json'), join(dir, 'messages.json')] as const
  await Promise.all([Bun.write(files[0], body), Bun.write(files[1], body)])
  const bare = await group.start<LimitInfo>('limit-server.ts', [...files])
  const bareWithHeaders = await group.start<LimitInfo>('limit-server.ts', [...files, '--security-headers'])
  const plainObject = await group.start<LimitInfo>('limit-server.ts', [
    ...files,
    '--security-headers',
    '--plain-object',
  ])
  const sessionsFile = join(dir, 'sessions.txt')
  await Bun.write(sessionsFile, requests.map((request) => request.session).join('\n'))
  const floor = await group.start<LimitInfo>('limit-server.ts', [...files, '--floor', sessionsFile])
  const headerBytes = async (url: string, headers: Record<string, string>) => {
    const res = await fetch(url, { headers })
    await res.arrayBuffer()
    return [...res.headers.entries()].reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0)
  }
  const servers = {
    bare: { pid: bare.pid, url: bare.info.url, requests: [{ session: '-', path: '/api/channels' }] },
    'bare + security headers': {
      pid: bareWithHeaders.pid,
      url: bareWithHeaders.info.url,
      requests: [{ session: '-', path: '/api/channels' }],
    },
    'bare + security headers as a plain object': {
      pid: plainObject.pid,
      url: plainObject.info.url,
      requests: [{ session: '-', path: '/api/channels' }],
    },
    floor: { pid: floor.pid, url: floor.info.url, requests },
    service: { pid: service.pid, url: service.info.url, requests },
  }
  say(
    `${bots} bots, ${body.length} B body; response headers: bare ${await headerBytes(`${bare.info.url}/api/channels`, {})} B, service ${await headerBytes(service.info.url + first.path, { authorization: first.session })} B`,
  )
  for (let round = 1; round <= rounds; round++) {
    for (const name of Object.keys(servers) as (keyof typeof servers)[]) {
      const server = servers[name]
      const spec = { url: server.url, method: 'GET' as const, requests: server.requests, connections: 50 }
      await runLoad(group, { ...spec, durationS: 3 })
      const before = await threadCpu(server.pid)
      const result: LoadResult = await runLoad(group, { ...spec, durationS: seconds })
      const cpu = cpuByGroup(server.pid, before, await threadCpu(server.pid))
      const perRequest = (ms: number) => ((1000 * ms) / Math.max(1, result.requests)).toFixed(1)
      const others = Object.entries(cpu).reduce((sum, [thread, ms]) => (thread === 'main' ? sum : sum + ms), 0)
      say(
        `round ${round} ${name}: ${Math.round(result.rps)} req/s (${result.non2xx} not 2xx); CPU µs per request: main ${perRequest(cpu.main ?? 0)}, other threads ${perRequest(others)}`,
      )
    }
  }
} finally {
  await group.stopAll()
  await rm(dir, { recursive: true, force: true })
}
process.exit()
