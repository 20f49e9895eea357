/**
 * Discord bans an IP for a while after 10 000 invalid requests (401, 403, 429) within 10 minutes, across
 * every bot behind it. This counts them over a sliding window in one-second buckets.
 */
export const DISCORD_INVALID_WINDOW_MS = 10 * 60_000

export type InvalidRequestBudget = {
  add(count: number, now?: number): void
  used(now?: number): number
  /** True when the window holds `limit` or more: stop calling Discord until it drains. */
  exhausted(now?: number): boolean
  limit: number
}

export function createInvalidRequestBudget(limit: number, windowMs = DISCORD_INVALID_WINDOW_MS): InvalidRequestBudget {
  const slots = Math.ceil(windowMs / 1000)
  const counts = new Float64Array(slots)
  const stamps = new Float64Array(slots).fill(-1)
  const second = (now: number) => Math.floor(now / 1000)
  // A running total, kept by evicting the seconds that leave the window: the routes that call Discord (and the
  // short path) ask on every request, so this must not scan the ten minutes each time.
  let total = 0
  let lastSecond = -Infinity

  function advance(current: number) {
    if (current <= lastSecond) return
    if (current - lastSecond >= slots) {
      counts.fill(0)
      stamps.fill(-1)
      total = 0
    } else {
      for (let gone = lastSecond - slots + 1; gone <= current - slots; gone++) {
        const slot = gone % slots
        if (stamps[slot] !== gone) continue
        total -= counts[slot]!
        counts[slot] = 0
        stamps[slot] = -1
      }
    }
    lastSecond = current
  }

  const used = (now = Date.now()) => {
    advance(second(now))
    return total
  }
  return {
    limit,
    add(count, now = Date.now()) {
      if (count <= 0) return
      const current = second(now)
      advance(current)
      const slot = current % slots
      if (stamps[slot] !== current) {
        stamps[slot] = current
        counts[slot] = 0
      }
      counts[slot]! += count
      total += count
    },
    used,
    exhausted: (now = Date.now()) => used(now) >= limit,
  }
}
