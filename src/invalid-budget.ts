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

  const used = (now = Date.now()) => {
    const current = second(now)
    let total = 0
    for (let i = 0; i < slots; i++) if (stamps[i]! > current - slots) total += counts[i]!
    return total
  }
  return {
    limit,
    add(count, now = Date.now()) {
      if (count <= 0) return
      const current = second(now)
      const slot = current % slots
      if (stamps[slot] !== current) {
        stamps[slot] = current
        counts[slot] = 0
      }
      counts[slot]! += count
    },
    used,
    exhausted: (now = Date.now()) => used(now) >= limit,
  }
}
