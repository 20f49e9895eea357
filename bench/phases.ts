import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LimitInfo } from './limit-server.ts'
import { runLoad, type LoadResult } from './load.ts'
import type { DesignStep } from './results.ts'
import {
  fixedRates,
  measure,
  ROUTE_LABELS,
  ROUTES,
  type BenchContext,
  type Logged,
  type Measured,
  type Route,
} from './scenarios.ts'

const say = (line: string) => process.stderr.write(`${line}\n`)
const brief = (m: Measured) =>
  `${Math.round(m.rps)} req/s, p50 ${m.p50Ms.toFixed(2)} ms, p99 ${m.p99Ms.toFixed(2)} ms, ${m.non2xx + m.errors} failed, ${m.restPerRequest.toFixed(2)} REST/req, ${m.discord429} × 429`

/** Every route at full speed, then (unless `withFixedRates` is false: --quick) the fixed offered rates, over the bots logged in so far. */
export async function measureDesign(
  ctx: BenchContext,
  name: string,
  url: string,
  logged: readonly Logged[],
  withFixedRates = true,
): Promise<Omit<DesignStep, 'rssBytes' | 'rssPerBotBytes'>> {
  const max = {} as Record<Route, Measured>
  for (const route of ROUTES) {
    max[route] = await measure(ctx, url, route, logged)
    say(`  ${name} ${ROUTE_LABELS[route]}: ${brief(max[route])}`)
  }
  const fixed: Measured[] = []
  for (const { route, ratePerSecond } of withFixedRates ? fixedRates(logged.length) : []) {
    const measured = await measure(ctx, url, route, logged, ratePerSecond)
    fixed.push(measured)
    say(`  ${name} ${ROUTE_LABELS[route]} at ${ratePerSecond} req/s: ${brief(measured)}`)
  }
  return { bots: logged.length, max, fixed }
}

/**
 * The machine's ceiling: a bare Bun.serve (its own process) answering with the very bodies the service sent for
 * the first bench bot, under the same load as the routes.
 */
export async function measureLimit(ctx: BenchContext, serviceUrl: string, first: Logged) {
  const headers = { authorization: first.session }
  const get = async (path: string) => {
    const res = await fetch(`${serviceUrl}${path}`, { headers })
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`)
    return res.text()
  }
  const channels = await get(`/api/channels?guildId=${first.bot.guildId}`)
  const messages = await get(`/api/messages?channelId=${first.bot.channelId}&limit=50`)
  const dir = await mkdtemp(join(tmpdir(), 'botvisor-limit-'))
  const files = [join(dir, 'channels.json'), join(dir, 'messages.json')] as const
  await Promise.all([Bun.write(files[0], channels), Bun.write(files[1], messages)])
  const server = await ctx.group.start<LimitInfo>('limit-server.ts', [...files])
  try {
    const run = async (path: string): Promise<LoadResult> => {
      const spec = {
        url: server.info.url,
        method: 'GET' as const,
        requests: [{ session: '-', path }],
        connections: ctx.connections,
      }
      await runLoad(ctx.group, { ...spec, durationS: ctx.warmupS })
      return runLoad(ctx.group, { ...spec, durationS: ctx.durationS })
    }
    const limit = { channels: await run('/api/channels'), messages: await run('/api/messages') }
    say(
      `  limit: channels ${Math.round(limit.channels.rps)} req/s (${channels.length} B), messages ${Math.round(limit.messages.rps)} req/s (${messages.length} B)`,
    )
    return { limit, bodies: { channelsBytes: channels.length, messagesBytes: messages.length } }
  } finally {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Kills a bot's worker on purpose (the worker's test hook: process.exit) and times until the bot answers a
 * worker read again. The clock starts before the crash is asked for; the service answers once the supervisor
 * has seen the worker go, so a read that beats the crash cannot count as a recovery.
 */
export async function timeCrashRecovery(controlUrl: string, serviceUrl: string, target: Logged): Promise<number> {
  const startedAt = performance.now()
  const crash = await fetch(`${controlUrl}/crash`, {
    method: 'POST',
    body: JSON.stringify({ token: target.bot.token }),
  })
  if (crash.status !== 200) throw new Error(`crash failed: ${await crash.text()}`)
  const path = `/api/messages?channelId=${target.bot.channelId}&limit=1`
  for (;;) {
    const res = await fetch(`${serviceUrl}${path}`, { headers: { authorization: target.session } })
    await res.arrayBuffer()
    if (res.status === 200) return performance.now() - startedAt
    if (performance.now() - startedAt > 30_000)
      throw new Error(`the bot did not answer within 30 s of its crash (last ${res.status})`)
    await Bun.sleep(5)
  }
}

export async function rssOf(controlUrl: string, settleMs: number): Promise<number> {
  const res = await fetch(`${controlUrl}/rss`, { method: 'POST', body: JSON.stringify({ settleMs }) })
  return (await res.json()) as number
}
