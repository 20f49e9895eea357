import { makeBotToken } from '../fake-discord/tokens.ts'
import type { FakeInfo } from './fake-process.ts'
import { percentile } from './logins.ts'
import { runPhaseAlone, writePhaseResults } from './phase-files.ts'
import type { ProcessGroup } from './procs.ts'
import type { Counters } from '../fake-discord/counters.ts'
import type { ServiceInfo } from './service-process.ts'

/**
 * Phase "login flood" (`bun bench/login-flood.ts`, and a phase of `bun run bench`): one client sends 100 junk
 * logins at once while five real bots log in from other clients, once with malformed tokens and once with
 * well-formed ones Discord rejects. It reports what the junk cost Discord (calls with tokens no bot has: goal 0
 * for malformed, ≤ 1 per distinct well-formed token), the real logins' p99 beside the same logins on an idle
 * service (goal ≤ 2×), and the invalid-request budget used. The service runs with its login limits as shipped;
 * TRUST_PROXY=127.0.0.1 lets X-Forwarded-For name the clients, all of them being this process.
 */
export type FloodRound = {
  junk: 'malformed' | 'well-formed'
  /** How many client IPs the junk came from. */
  junkClients: number
  junkLogins: number
  distinctJunkTokens: number
  junkStatuses: Record<string, number>
  discordCallsByJunk: number
  realP99Ms: number
  realStatuses: number[]
}
export type FloodResults = {
  idleRealP99Ms: number
  rounds: FloodRound[]
  budgetUsed: number
  budgetLimit: number
}

const JUNK = 100
/** The flood (one client), then the same junk from 100 clients: past the per-IP limits, the token check. */
const ROUNDS = [
  { junk: 'malformed', junkClients: 1 },
  { junk: 'well-formed', junkClients: 1 },
  { junk: 'well-formed', junkClients: JUNK },
] as const
const REAL = 5
const REAL_GAP_MS = 100 // the real logins arrive during the flood, not all at its first instant

const readCounters = async (fakeUrl: string) => (await (await fetch(`${fakeUrl}/_control/counters`)).json()) as Counters

/** Calls the fake Discord got with a token it knows no bot for. */
const anonymous = (counters: Counters) =>
  counters.restTotal -
  Object.values(counters.rest).reduce(
    (sum, routes) => sum + Object.values(routes ?? {}).reduce((a, b) => a + (b ?? 0), 0),
    0,
  )

async function login(url: string, token: string, client: string): Promise<{ status: number; ms: number }> {
  const began = performance.now()
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
    body: JSON.stringify({ token }),
    signal: AbortSignal.timeout(180_000),
  }).catch(() => null)
  await res?.arrayBuffer()
  return { status: res?.status ?? 0, ms: performance.now() - began }
}

/** Five real logins, REAL_GAP_MS apart, each from its own client; their latencies. */
async function realLogins(url: string, tokens: string[], round: number) {
  return Promise.all(
    tokens.map(async (token, i) => {
      await Bun.sleep(i * REAL_GAP_MS)
      return login(url, token, `198.51.100.${round * 10 + i + 1}`)
    }),
  )
}

function junkTokens(kind: FloodRound['junk']): string[] {
  if (kind === 'malformed') {
    return Array.from({ length: JUNK }, (_, i) =>
      i % 3 === 0 ? `abc${i}` : i % 3 === 1 ? `x.y.${i}` : `Bot ${'z'.repeat(i)}`,
    )
  }
  // two logins per distinct token: the second should cost Discord nothing
  return Array.from({ length: JUNK }, (_, i) =>
    makeBotToken(String(300_000_000_000_000_000n + BigInt(i % (JUNK / 2))), 1_700_000_000_000, 'flood'),
  )
}

export async function runLoginFlood(group: ProcessGroup, say: (line: string) => void): Promise<FloodResults> {
  const fake = await group.start<FakeInfo>('fake-process.ts', [String(1 + (ROUNDS.length + 1) * REAL)], {
    timeoutMs: 60_000,
  })
  const tokens = fake.info.bots.map((bot) => bot.token)
  const overrides = {
    TRUST_PROXY: '127.0.0.1',
    LOGIN_BURST: null,
    LOGIN_PER_MINUTE: null,
    LOGIN_MAX_PENDING_PER_IP: null,
  }
  const service = await group.start<ServiceInfo>('service-process.ts', [
    fake.info.apiUrl,
    '100',
    JSON.stringify(overrides),
  ])
  try {
    const { url } = service.info
    await login(url, tokens[0] ?? '', '198.51.100.250') // warm-up: the first login pays for compiling the paths
    const idle = await realLogins(url, tokens.slice(1, 1 + REAL), 0)
    if (idle.some((reply) => reply.status !== 200)) throw new Error(`idle logins answered ${idle.map((r) => r.status)}`)
    const idleRealP99Ms = percentile(
      idle.map((reply) => reply.ms),
      99,
    )
    say(`  idle: real login p99 ${idleRealP99Ms.toFixed(0)} ms`)
    const rounds: FloodRound[] = []
    for (const [index, { junk, junkClients }] of ROUNDS.entries()) {
      const before = anonymous(await readCounters(fake.info.url))
      const junkList = junkTokens(junk)
      const flood = Promise.all(
        junkList.map((token, i) => login(url, token, `203.0.${113 + index}.${(i % junkClients) + 1}`)),
      )
      const first = 1 + REAL * (index + 1)
      const real = await realLogins(url, tokens.slice(first, first + REAL), index + 1)
      const junkReplies = await flood
      const junkStatuses: Record<string, number> = {}
      for (const { status } of junkReplies) junkStatuses[status] = (junkStatuses[status] ?? 0) + 1
      const round: FloodRound = {
        junk,
        junkClients,
        junkLogins: junkList.length,
        distinctJunkTokens: new Set(junkList).size,
        junkStatuses,
        discordCallsByJunk: anonymous(await readCounters(fake.info.url)) - before,
        realP99Ms: percentile(
          real.map((reply) => reply.ms),
          99,
        ),
        realStatuses: real.map((reply) => reply.status),
      }
      rounds.push(round)
      say(
        `  ${junk} flood from ${junkClients} client${junkClients > 1 ? 's' : ''}: ${round.discordCallsByJunk} Discord calls for ${round.distinctJunkTokens} distinct junk tokens; junk answers ${JSON.stringify(junkStatuses)}; real logins ${round.realStatuses.join(',')} p99 ${round.realP99Ms.toFixed(0)} ms (${(round.realP99Ms / idleRealP99Ms).toFixed(1)}× idle)`,
      )
    }
    const health = (await (await fetch(`${service.info.controlUrl}/health`, { method: 'POST' })).json()) as {
      invalidRequests?: { used: number; limit: number }
    }
    const budgetUsed = health.invalidRequests?.used ?? Number.NaN
    const budgetLimit = health.invalidRequests?.limit ?? Number.NaN
    say(`  invalid-request budget used: ${budgetUsed} of ${budgetLimit}`)
    return { idleRealP99Ms, rounds, budgetUsed, budgetLimit }
  } finally {
    await service.stop()
    await fake.stop()
  }
}

/** bench/results/login-flood.json (results/quick/ for a --quick bench, which git ignores) */
export function writeFloodResults(results: FloodResults, quick = false) {
  writePhaseResults('login-flood', results, quick)
}

if (import.meta.main) await runPhaseAlone('login flood', (group, say) => runLoginFlood(group, say), writeFloodResults)
