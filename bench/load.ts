import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ProcessGroup } from './procs.ts'

export type LoadSpec = {
  url: string // origin, loopback only
  method: 'GET' | 'POST'
  /** Sent round-robin, one per request: each names its session (Authorization), path and JSON body. */
  requests: LoadRequest[]
  connections: number
  /** Whole seconds: wrk takes no fractions. */
  durationS: number
  /** Fixed offered rate over all connections; absent: as fast as the server answers. */
  ratePerSecond?: number
}

export type LoadRequest = { session: string; path: string; body?: string }

export type LoadTool = 'wrk' | 'autocannon'

export type LoadResult = {
  tool: LoadTool
  requests: number
  rps: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  non2xx: number
  errors: number
}

type RawResult = {
  requests: number
  durationUs: number
  p50Us: number
  p99Us: number
  maxUs: number
  non2xx: number
  errors: number
}

const BENCH_DIR = new URL('.', import.meta.url).pathname

/** wrk when it is installed (C, so the generator takes less of the 2 cores), else autocannon. */
export const throughputTool = (): LoadTool => (Bun.which('wrk') ? 'wrk' : 'autocannon')

/**
 * One bounded load run. Fixed rates always go to autocannon (`overallRate`); maximum throughput goes to wrk
 * when present. Either way the generator is a separate process and the numbers come back in one shape.
 */
export async function runLoad(group: ProcessGroup, spec: LoadSpec): Promise<LoadResult> {
  const origin = new URL(spec.url)
  if (origin.hostname !== '127.0.0.1') throw new Error(`the bench only loads loopback, not ${origin.hostname}`)
  const tool: LoadTool = spec.ratePerSecond ? 'autocannon' : throughputTool()
  const raw = tool === 'wrk' ? await runWrk(group, spec) : await runAutocannon(group, spec)
  return {
    tool,
    requests: raw.requests,
    rps: raw.requests / (raw.durationUs / 1e6),
    p50Ms: raw.p50Us / 1000,
    p99Ms: raw.p99Us / 1000,
    maxMs: raw.maxUs / 1000,
    non2xx: raw.non2xx,
    errors: raw.errors,
  }
}

const timeoutFor = (spec: LoadSpec) => (spec.durationS + 30) * 1000

async function runWrk(group: ProcessGroup, spec: LoadSpec): Promise<RawResult> {
  const dir = await mkdtemp(join(tmpdir(), 'botvisor-bench-'))
  try {
    const requestsFile = join(dir, 'requests.tsv')
    await Bun.write(requestsFile, spec.requests.map((r) => `${r.session}\t${r.path}\t${r.body ?? ''}`).join('\n'))
    if (!Number.isInteger(spec.durationS) || spec.durationS < 1) throw new Error('wrk runs whole seconds')
    // one wrk thread: the second core is the server's; a second thread measured no more on this machine
    const out = await group.run(
      [
        'wrk',
        '-t1',
        `-c${spec.connections}`,
        `-d${spec.durationS}s`,
        '--timeout',
        '10s',
        '-s',
        `${BENCH_DIR}wrk.lua`,
        spec.url,
        '--',
        requestsFile,
        spec.method,
      ],
      timeoutFor(spec),
    )
    return parseResult(out)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function runAutocannon(group: ProcessGroup, spec: LoadSpec): Promise<RawResult> {
  const out = await group.run(
    [process.execPath, `${BENCH_DIR}autocannon-runner.ts`, JSON.stringify(spec)],
    timeoutFor(spec),
  )
  return parseResult(out)
}

function parseResult(out: string): RawResult {
  const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '))
  if (!line) throw new Error(`no result from the load generator:\n${out.slice(0, 500)}`)
  return JSON.parse(line.slice('BENCH_JSON '.length)) as RawResult
}
