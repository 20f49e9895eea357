import type { BenchBot } from './fake-process.ts'
import { loginAll } from './logins.ts'
import { serviceOverrides } from './memory.ts'
import type { LoadResult } from './load.ts'
import { measureLimit } from './phases.ts'
import { measure, type BenchContext, type Logged, type Measured } from './scenarios.ts'
import type { ServiceInfo } from './service-process.ts'

/** One step of the packed service under load: its cached read beside the bare ceiling measured just before, and its sends. */
export type PackedLoad = { limitChannels: LoadResult; cached: Measured; send: Measured }

/**
 * The cached read (`GET /api/channels`, with the bare `Bun.serve` ceiling measured right before it) and
 * `POST /api/messages` at full speed through the packed service (BOTS_PER_WORKER), at each step of bots, in a
 * fresh process of its own: the memory pass measures it idle, this one under load (the two cannot share a process:
 * RSS read after a load run counts what the allocator kept from it). Its bots are the packed memory pass's, free
 * again once that pass ended; no other design uses them.
 */
export async function measurePackedSends(
  ctx: BenchContext,
  apiUrl: string,
  bots: readonly BenchBot[],
  plan: { steps: number[]; loginConcurrency: number },
  say: (line: string) => void,
): Promise<PackedLoad[]> {
  const maxBots = Math.max(...plan.steps)
  const service = await ctx.group.start<ServiceInfo>('service-process.ts', [
    apiUrl,
    String(maxBots + 10),
    serviceOverrides('packed'),
  ])
  try {
    const logged: Logged[] = []
    const steps: PackedLoad[] = []
    for (const count of plan.steps) {
      const newBots = bots.slice(logged.length, count)
      const run = await loginAll(
        service.info.url,
        newBots.map((bot) => bot.token),
        plan.loginConcurrency,
      )
      logged.push(...newBots.map((bot, i) => ({ bot, session: run.sessions[i] ?? '' })))
      const { limit } = await measureLimit(ctx, service.info.url, logged[0] as Logged)
      const cached = await measure(ctx, service.info.url, 'channels', logged)
      const send = await measure(ctx, service.info.url, 'send', logged)
      steps.push({ limitChannels: limit.channels, cached, send })
      say(
        `  packed GET /api/channels, ${count} bots: ${Math.round(cached.rps)} req/s, ${((100 * cached.rps) / limit.channels.rps).toFixed(0)} % of bare, p50 ${cached.p50Ms.toFixed(2)} ms, p99 ${cached.p99Ms.toFixed(2)} ms`,
      )
      say(
        `  packed POST /api/messages, ${count} bots: ${Math.round(send.rps)} req/s, p50 ${send.p50Ms.toFixed(1)} ms, p99 ${send.p99Ms.toFixed(1)} ms, ${send.non2xx + send.errors} failed, ${send.discord429} × 429`,
      )
    }
    return steps
  } finally {
    await service.stop()
  }
}
