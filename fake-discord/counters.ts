import type { BotName } from './world/types.ts'

/** What tests assert on: requests per bot and route, 429s, IDENTIFYs, RESUMEs, open gateway connections. */
export interface Counters {
  rest: Partial<Record<BotName, Record<string, number>>>
  restTotal: number
  rateLimited429: number
  identifies: Partial<Record<BotName, number>>
  resumes: Partial<Record<BotName, number>>
  openConnections: Partial<Record<BotName, number>>
}

export interface CounterBook {
  countRest(bot: BotName | null, routeKey: string): void
  count429(): void
  countIdentify(bot: BotName): void
  countResume(bot: BotName): void
  connectionOpened(bot: BotName): void
  connectionClosed(bot: BotName): void
  snapshot(): Counters
  /** Zeroes the event counts; open connections are a level, not a count, and stay. */
  reset(): void
}

export function createCounterBook(): CounterBook {
  let rest: Counters['rest'] = {}
  let restTotal = 0
  let rateLimited429 = 0
  let identifies: Counters['identifies'] = {}
  let resumes: Counters['resumes'] = {}
  const openConnections: Counters['openConnections'] = {}
  const bump = (map: Partial<Record<BotName, number>>, bot: BotName, by = 1) => {
    map[bot] = (map[bot] ?? 0) + by
  }
  return {
    countRest(bot, routeKey) {
      restTotal++
      if (!bot) return
      const routes = (rest[bot] ??= {})
      routes[routeKey] = (routes[routeKey] ?? 0) + 1
    },
    count429: () => void rateLimited429++,
    countIdentify: (bot) => bump(identifies, bot),
    countResume: (bot) => bump(resumes, bot),
    connectionOpened: (bot) => bump(openConnections, bot),
    connectionClosed: (bot) => bump(openConnections, bot, -1),
    snapshot: () => structuredClone({ rest, restTotal, rateLimited429, identifies, resumes, openConnections }),
    reset() {
      rest = {}
      restTotal = 0
      rateLimited429 = 0
      identifies = {}
      resumes = {}
    },
  }
}
