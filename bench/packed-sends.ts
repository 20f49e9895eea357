import type { BenchBot } from './fake-process.ts'
import { loginAll } from './logins.ts'
import { serviceOverrides } from './memory.ts'
import { measure, type BenchContext, type Logged, type Measured } from './scenarios.ts'
import type { ServiceInfo } from './service-process.ts'

/**
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
): Promise<Measured[]> {
  const maxBots = Math.max(...plan.steps)
  const service = await ctx.group.start<ServiceInfo>('service-process.ts', [
    apiUrl,
    String(maxBots + 10),
    serviceOverrides('packed'),
  ])
  try {
    const logged: Logged[] = []
    const sends: Measured[] = []
    for (const count of plan.steps) {
      const newBots = bots.slice(logged.length, count)
      const run = await loginAll(
        service.info.url,
        newBots.map((bot) => bot.token),
        plan.loginConcurrency,
      )
      logged.push(...newBots.map((bot, i) => ({ bot, session: run.sessions[i] ?? '' })))
      const send = await measure(ctx, service.info.url, 'send', logged)
      sends.push(send)
      say(
        `  packed POST /api/messages, ${count} bots: ${Math.round(send.rps)} req/s, p50 ${send.p50Ms.toFixed(1)} ms, p99 ${send.p99Ms.toFixed(1)} ms, ${send.non2xx + send.errors} failed, ${send.discord429} × 429`,
      )
    }
    return sends
  } finally {
    await service.stop()
  }
}
