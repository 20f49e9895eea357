import type { RouteKey } from './rest/routes.ts'
import type { BotName } from './world/types.ts'

/**
 * A REST fault: answer 5xx, never answer, or answer late, for a bot and/or a route, `count` times (or always).
 * `delayMs` alone delays the answer, not the work: the request takes effect when it arrives (a message
 * exists at once), as with a Discord that accepted a request and is slow to say so. `hang` does nothing.
 */
export interface RestFault {
  bot?: BotName
  route?: RouteKey
  status?: 500 | 502 | 503
  hang?: boolean
  delayMs?: number
  count?: number
}

export interface FaultBook {
  add(fault: RestFault): void
  clear(): void
  /** The fault to apply to this request, if any; each use spends one of its `count`. */
  take(bot: BotName | null, routeKey: RouteKey): RestFault | null
}

export function createFaultBook(): FaultBook {
  let faults: { fault: RestFault; left: number }[] = []
  return {
    add(fault) {
      faults.push({ fault, left: fault.count ?? Number.POSITIVE_INFINITY })
    },
    clear() {
      faults = []
    },
    take(bot, routeKey) {
      const entry = faults.find(
        ({ fault, left }) =>
          left > 0 && (!fault.bot || fault.bot === bot) && (!fault.route || fault.route === routeKey),
      )
      if (!entry) return null
      entry.left--
      return entry.fault
    },
  }
}
