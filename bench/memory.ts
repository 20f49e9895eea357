import type { BenchBot } from './fake-process.ts'
import { loginAll } from './logins.ts'
import type { NaiveInfo } from './naive/server.ts'
import { rssOf } from './phases.ts'
import type { ProcessGroup } from './procs.ts'
import type { ServiceInfo } from './service-process.ts'

export type MemoryPass = {
  baselineRssBytes: number
  /** Per step: RSS after its logins, GC and settling. */
  rssBytes: number[]
  loginLatenciesMs: number[]
  loginWallMs: number
}

/** `packed`: the service with BOTS_PER_WORKER bots per worker thread (README, "Packed workers"). */
export type Design = { who: 'ours' | 'naive' | 'packed'; bots: readonly BenchBot[] }

/** The bench's packed service: 10 bots per thread, 20 threads at 200 bots. */
export const PACKED_BOTS_PER_WORKER = 10
/** The service-process.ts overrides that make a design's service. */
export const serviceOverrides = (who: Design['who']): string =>
  JSON.stringify(who === 'packed' ? { BOTS_PER_WORKER: String(PACKED_BOTS_PER_WORKER) } : {})

/**
 * Memory and logins of one design, in a fresh process that never served load: RSS measured after earlier load
 * runs would count what the allocator kept from them (about 8 MB per bot more, measured), not what a bot costs.
 * Steps log in more bots, 8 at a time; the process is stopped at the end, so its bots can log in again.
 */
export async function measureMemory(
  group: ProcessGroup,
  apiUrl: string,
  design: Design,
  plan: { steps: number[]; settleMs: number; loginConcurrency: number; maxBots: number },
  say: (line: string) => void,
): Promise<MemoryPass> {
  const child =
    design.who === 'naive'
      ? await group.start<NaiveInfo>('naive/server.ts', [apiUrl])
      : await group.start<ServiceInfo>('service-process.ts', [
          apiUrl,
          String(plan.maxBots + 10),
          serviceOverrides(design.who),
        ])
  try {
    await Bun.sleep(plan.settleMs) // the warm spare worker loads discord.js now: part of the baseline, not of a bot
    const baselineRssBytes = await rssOf(child.info.controlUrl, plan.settleMs)
    const pass: MemoryPass = { baselineRssBytes, rssBytes: [], loginLatenciesMs: [], loginWallMs: 0 }
    let loggedIn = 0
    for (const count of plan.steps) {
      const run = await loginAll(
        child.info.url,
        design.bots.slice(loggedIn, count).map((bot) => bot.token),
        plan.loginConcurrency,
      )
      loggedIn = count
      pass.loginLatenciesMs.push(...run.latenciesMs)
      pass.loginWallMs += run.wallMs
      const rss = await rssOf(child.info.controlUrl, plan.settleMs)
      pass.rssBytes.push(rss)
      say(
        `  ${design.who}: ${count} bots, logins ${Math.round(run.wallMs)} ms, RSS ${(rss / 1_048_576).toFixed(0)} MB, ${((rss - baselineRssBytes) / count / 1_048_576).toFixed(2)} MB per bot`,
      )
    }
    return pass
  } finally {
    await child.stop()
  }
}
