import { startFakeDiscord } from '../fake-discord/index.ts'
import { bodyAfterAwait } from '../src/http/after-await-body.ts'
import { runLoad, throughputTool, type LoadResult } from './load.ts'
import { runPhaseAlone, writePhaseResults } from './phase-files.ts'
import type { ProcessGroup } from './procs.ts'
import type { ServiceInfo } from './service-process.ts'

/**
 * `bun bench/large-pages.ts [--quick]` (also a phase of `bun run bench`): issue 14's large bodies. A 1000-member
 * page (read again: the gateway keeps it until a member event) and a 100-message page that misses the cache (from
 * Discord on every request), through the service (one bot, alpha, in the fake's 1 200-member guild), against a
 * bare `Bun.serve` sending the same bytes three ways: on the request's tick, after an await as is, and after an
 * await in 8 KB pieces (src/http/after-await-body.ts). The ratio divides by the best of the three.
 */
const CONNECTIONS = 50
/** Discord's global rate limit per bot: what a page read from Discord on every request can reach per bot. */
const DISCORD_PER_BOT = 50
const BOTS = 50

type BareRates = { tick: LoadResult; awaited: LoadResult; pieces: LoadResult }
export type LargePage = {
  name: string
  bytes: number
  service: LoadResult
  bare: BareRates
  /** The service's rate over the best bare rate for the same bytes. */
  ofBare: number
  /** For a page Discord answers every time: what 50 bots could reach at Discord's 50/s each, over the best bare. */
  fiftyBotsAtDiscordsLimitOfBare: number | null
}
export type LargePagesResults = { tool: string; connections: number; durationS: number; pages: LargePage[] }

export async function runLargePagesBench(
  group: ProcessGroup,
  say: (line: string) => void,
  quick: boolean,
): Promise<LargePagesResults> {
  const durationS = quick ? 1 : 5
  // in this process: alpha and the 1 200-member guild are the fake's own world (the bench's fake has neither)
  const discord = await startFakeDiscord({ port: 0 })
  const service = await group.start<ServiceInfo>('service-process.ts', [discord.apiUrl, '10'])
  try {
    const login = await fetch(`${service.info.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: discord.tokens.alpha }),
    })
    const { sessionId } = (await login.json()) as { sessionId: string }
    const { ids } = discord.world
    const pages = [
      { name: 'members?limit=1000', path: `/api/members?guildId=${ids.bigGuild}&limit=1000`, fromDiscord: false },
      {
        name: 'messages?limit=100, cache missed',
        // a `before` past every snowflake: the newest 100, from Discord, never from the cache
        path: `/api/messages?channelId=${ids.manyMessagesChannel}&limit=100&before=9000000000000000000`,
        fromDiscord: true,
      },
    ]
    const results: LargePage[] = []
    say(
      '| page | bytes | service, 1 bot | bare, on the tick | bare, after an await | bare, after an await in 8 KB pieces | service / best bare | 50 bots at Discord’s limit / best bare |',
    )
    say('|---|---:|---:|---:|---:|---:|---:|---:|')
    for (const { name, path, fromDiscord } of pages) {
      const res = await fetch(`${service.info.url}${path}`, { headers: { authorization: sessionId } })
      const body = await res.text()
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${body.slice(0, 200)}`)
      const load = (url: string, session = '-'): Promise<LoadResult> =>
        runLoad(group, { url, method: 'GET', requests: [{ session, path }], connections: CONNECTIONS, durationS })
      const serviceRate = await load(service.info.url, sessionId)
      const bare = await bareRates(body, load)
      const best = Math.max(bare.tick.rps, bare.awaited.rps, bare.pieces.rps)
      const page: LargePage = {
        name,
        bytes: Buffer.byteLength(body),
        service: serviceRate,
        bare,
        ofBare: serviceRate.rps / best,
        fiftyBotsAtDiscordsLimitOfBare: fromDiscord ? (BOTS * DISCORD_PER_BOT) / best : null,
      }
      results.push(page)
      const rate = (result: LoadResult) => Math.round(result.rps).toLocaleString('en-US')
      const percent = (ratio: number | null) => (ratio === null ? '–' : `${(100 * ratio).toFixed(0)} %`)
      say(
        `| ${name} | ${page.bytes.toLocaleString('en-US')} | ${rate(serviceRate)} (${serviceRate.non2xx} non-2xx) | ${rate(bare.tick)} | ${rate(bare.awaited)} | ${rate(bare.pieces)} | ${percent(page.ofBare)} | ${percent(page.fiftyBotsAtDiscordsLimitOfBare)} |`,
      )
    }
    return { tool: throughputTool(), connections: CONNECTIONS, durationS, pages: results }
  } finally {
    await service.stop()
    await discord.stop()
  }
}

/** A bare Bun.serve in this process with the one body, three ways; each measured by the same load generator. */
async function bareRates(body: string, load: (url: string) => Promise<LoadResult>): Promise<BareRates> {
  const headers = { 'content-type': 'application/json' }
  const measure = async (answer: () => Response | Promise<Response>) => {
    const server = Bun.serve({ port: 0, hostname: '127.0.0.1', development: false, fetch: answer })
    try {
      return await load(`http://127.0.0.1:${server.port}`)
    } finally {
      server.stop(true)
    }
  }
  const afterAwait = () => new Promise<void>((resolve) => setImmediate(resolve))
  return {
    tick: await measure(() => new Response(body, { headers })),
    awaited: await measure(async () => {
      await afterAwait()
      return new Response(body, { headers })
    }),
    pieces: await measure(async () => {
      await afterAwait()
      return new Response(bodyAfterAwait(body), { headers })
    }),
  }
}

export function writeLargePagesResults(results: LargePagesResults, quick = false) {
  writePhaseResults('large-pages', results, quick)
}

if (import.meta.main) await runPhaseAlone('large pages', runLargePagesBench, writeLargePagesResults)
