import { startFakeDiscord } from '../../fake-discord/index.ts'
import { bodyAfterAwait } from '../../src/http/after-await-body.ts'
import { runLoad, type LoadResult } from '../load.ts'
import { createProcessGroup } from '../procs.ts'
import type { ServiceInfo } from '../service-process.ts'

/**
 * `bun bench/probe/large-pages.ts [seconds=5]`: issue 14's large bodies. A 1000-member page and a 100-message page
 * that misses the cache, through the service (one bot, alpha, in the fake's 1 200-member guild), against a bare
 * `Bun.serve` sending the same bytes: on the request's tick, after an await as is, and after an await in 8 KB
 * pieces (src/http/after-await-body.ts itself). Both pages come from Discord on every request, so the service's
 * rate is Discord's: 50 requests/s per bot; the table gives what 50 bots could reach at most, against the bare rate.
 */
const seconds = Number(process.argv[2] ?? 5)
const CONNECTIONS = 50
const DISCORD_PER_BOT = 50
const say = (line: string) => process.stderr.write(`${line}\n`)

const group = createProcessGroup()
const discord = await startFakeDiscord({ port: 0 })
try {
  const service = await group.start<ServiceInfo>('service-process.ts', [discord.apiUrl, '10'])
  const login = await fetch(`${service.info.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: discord.tokens.alpha }),
  })
  const { sessionId } = (await login.json()) as { sessionId: string }
  const { ids } = discord.world
  const pages = {
    'members?limit=1000': `/api/members?guildId=${ids.bigGuild}&limit=1000`,
    // a `before` past every snowflake: the newest 100, from Discord, never from the cache
    'messages?limit=100, cache missed': `/api/messages?channelId=${ids.manyMessagesChannel}&limit=100&before=9000000000000000000`,
  }
  say(`large pages, ${seconds} s runs, ${CONNECTIONS} connections, wrk when installed`)
  say(
    '| page | bytes | service, 1 bot | 50 bots at most (Discord) | bare, on the tick | bare, after an await | bare, after an await in 8 KB pieces | 50 bots / bare after await in pieces |',
  )
  say('|---|---:|---:|---:|---:|---:|---:|---:|')
  for (const [name, path] of Object.entries(pages)) {
    const res = await fetch(`${service.info.url}${path}`, { headers: { authorization: sessionId } })
    const body = await res.text()
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${body.slice(0, 200)}`)
    const load = (url: string, session = '-'): Promise<LoadResult> =>
      runLoad(group, {
        url,
        method: 'GET',
        requests: [{ session, path }],
        connections: CONNECTIONS,
        durationS: seconds,
      })
    const throughService = await load(service.info.url, sessionId)
    const bare = await bareRates(body, load)
    const fifty = DISCORD_PER_BOT * 50
    const rate = (result: LoadResult) => Math.round(result.rps).toLocaleString('en-US')
    say(
      `| ${name} | ${Buffer.byteLength(body).toLocaleString('en-US')} | ${rate(throughService)} (${throughService.non2xx} non-2xx) | ${fifty.toLocaleString('en-US')} | ${rate(bare.tick)} | ${rate(bare.awaited)} | ${rate(bare.pieces)} | ${((100 * fifty) / bare.pieces.rps).toFixed(0)} % |`,
    )
  }
} finally {
  await group.stopAll()
  await discord.stop()
}
process.exit(0)

/** A bare Bun.serve in this process with the one body, three ways; each measured by the same load generator. */
async function bareRates(body: string, load: (url: string) => Promise<LoadResult>) {
  const headers = { 'content-type': 'application/json' }
  const serve = (answer: () => Response | Promise<Response>) =>
    Bun.serve({ port: 0, hostname: '127.0.0.1', development: false, fetch: answer })
  const measure = async (answer: () => Response | Promise<Response>) => {
    const server = serve(answer)
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
