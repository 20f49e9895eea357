import type { BenchBot } from './fake-process.ts'
import { runLoad, type LoadRequest, type LoadResult } from './load.ts'
import type { ProcessGroup } from './procs.ts'

export type Route = 'channels' | 'messages' | 'send'
export const ROUTES: readonly Route[] = ['channels', 'messages', 'send']
export const ROUTE_LABELS: Record<Route, string> = {
  channels: 'GET /api/channels',
  messages: 'GET /api/messages?limit=50',
  send: 'POST /api/messages',
}

/** A logged-in bot as the load sees it: whose session, which guild and channel its requests name. */
export type Logged = { session: string; bot: BenchBot }

export type BenchContext = {
  group: ProcessGroup
  fakeUrl: string
  connections: number
  durationS: number
  /** Sends run longer: at Discord's rate limit, a short run's edges pass more than the limit (below). */
  sendDurationS: number
  warmupS: number
}

export type Measured = LoadResult & {
  route: Route
  ratePerSecond: number | null
  /** Discord REST calls the fake counted per answered request: a cached read makes none. */
  restPerRequest: number
  /** 429s the fake answered during the measured run. */
  discord429: number
}

type FakeCounters = { restTotal: number; rateLimited429: number }

export async function readCounters(fakeUrl: string): Promise<FakeCounters> {
  const res = await fetch(`${fakeUrl}/_control/counters`)
  return (await res.json()) as FakeCounters
}

/**
 * Waits (bounded) until Discord has seen no call for 300 ms. A load generator that stops leaves requests behind
 * in discord.js's rate-limit queues (50 req/s per bot); they would otherwise spend the next run's budget.
 */
async function quiesce(fakeUrl: string, maxMs = 15_000): Promise<void> {
  let last = (await readCounters(fakeUrl)).restTotal
  for (const deadline = Date.now() + maxMs; Date.now() < deadline; ) {
    await Bun.sleep(300)
    const now = (await readCounters(fakeUrl)).restTotal
    if (now === last) return
    last = now
  }
}

/** One request per logged-in bot, sent round robin: the load spreads evenly over every bot's session. */
export function requestsFor(
  route: Route,
  logged: readonly Logged[],
): { method: 'GET' | 'POST'; requests: LoadRequest[] } {
  const requestOf = ({ session, bot }: Logged): LoadRequest => {
    switch (route) {
      case 'channels':
        return { session, path: `/api/channels?guildId=${bot.guildId}` }
      case 'messages':
        return { session, path: `/api/messages?channelId=${bot.channelId}&limit=50` }
      case 'send':
        return {
          session,
          path: '/api/messages',
          body: JSON.stringify({ channelId: bot.channelId, content: 'bench: hello' }),
        }
      default:
        throw new Error(`no load for route ${route satisfies never}`)
    }
  }
  const requests = logged.map(requestOf)
  return { method: route === 'send' ? 'POST' : 'GET', requests }
}

/**
 * A short warm-up (JIT, connection pools, discord.js's rate-limit buckets), then the measured run, with the fake's
 * counters read on both sides of it.
 */
export async function measure(
  ctx: BenchContext,
  url: string,
  route: Route,
  logged: readonly Logged[],
  ratePerSecond?: number,
): Promise<Measured> {
  const { method, requests } = requestsFor(route, logged)
  const spec = { url, method, requests, connections: ctx.connections, ...(ratePerSecond ? { ratePerSecond } : {}) }
  await quiesce(ctx.fakeUrl)
  await runLoad(ctx.group, { ...spec, durationS: ctx.warmupS })
  await quiesce(ctx.fakeUrl)
  const before = await readCounters(ctx.fakeUrl)
  // Discord lets each bot send 50 a second, refilled each second: a run of n seconds spans up to n + 1 of those
  // windows, so a design at the limit can pass (n + 1) / n of it (observed: the naive design at 2 728/s in 5 s runs
  // where 50 bots allow 2 500). Sends run longer so that edge counts less.
  const durationS = route === 'send' ? ctx.sendDurationS : ctx.durationS
  const result = await runLoad(ctx.group, { ...spec, durationS })
  const after = await readCounters(ctx.fakeUrl)
  return {
    ...result,
    route,
    ratePerSecond: ratePerSecond ?? null,
    restPerRequest: result.requests > 0 ? (after.restTotal - before.restTotal) / result.requests : 0,
    discord429: after.rateLimited429 - before.rateLimited429,
  }
}

/**
 * The fixed offered rates of a step: 5 000 req/s on both reads (the targets' rate), and for the worker read also
 * the highest rate Discord lets these bots reach (40 of its 50 req/s per bot) when 5 000 is above it.
 */
export function fixedRates(bots: number): { route: Route; ratePerSecond: number }[] {
  if (bots < 2) return [] // one bot: 5 000 req/s is 100 times what Discord lets it send
  const rates: { route: Route; ratePerSecond: number }[] = [
    { route: 'channels', ratePerSecond: 5_000 },
    { route: 'messages', ratePerSecond: 5_000 },
  ]
  const withinDiscord = 40 * bots
  if (withinDiscord < 5_000) rates.push({ route: 'messages', ratePerSecond: withinDiscord })
  return rates
}
