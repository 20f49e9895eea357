import type { BeginOutcome, IdempotencyStore, KeyState, StoredAnswer } from './idempotency.ts'

type Kept = { fingerprint: string; answer: StoredAnswer; expiresAt: number }
type Running = { fingerprint: string; leaseUntil: number }

/**
 * How long an in-flight mark holds a key when nobody completes or releases it. The middleware always does (in a
 * `finally`), so in memory this only bounds a bug; for a durable store it frees the keys of a process that died
 * mid-request. No request lives this long: every wait in one is bounded by RPC_TIMEOUT_MS and RESTART_WAIT_MS
 * (each at most 10 minutes, src/config.ts) plus the body read.
 */
export const IN_FLIGHT_LEASE_MS = 30 * 60_000

export type MemoryIdempotencyStore = IdempotencyStore & {
  /** Answers kept (expired ones not yet swept included), for tests and metrics. */
  size(): number
}

/**
 * The in-memory backend: one Map of answers in completion order and one of requests in flight. As every answer
 * lives the same `ttlMs`, completion order is expiry order: each begin() drops expired answers from the front
 * and stops at the first live one (no timer per key, each answer swept once), and past `maxKeys` (all bots
 * together) the oldest answers go first. In-flight marks are few (one per running keyed request) and never
 * evicted: evicting one would let a retry run the request a second time.
 */
export function createMemoryIdempotencyStore(options: {
  ttlMs: number
  maxKeys: number
  now?: () => number
  leaseMs?: number
}): MemoryIdempotencyStore {
  const { ttlMs, maxKeys, now = Date.now, leaseMs = IN_FLIGHT_LEASE_MS } = options
  const answers = new Map<string, Kept>()
  const running = new Map<string, Running>()
  // a bot id is digits and a key printable ASCII: a newline cannot occur in either
  const slotOf = (botId: string, key: string) => `${botId}\n${key}`

  function sweep(at: number) {
    for (const [slot, kept] of answers) {
      if (kept.expiresAt > at) break
      answers.delete(slot)
    }
  }

  function held(slot: string, at: number): KeyState | undefined {
    const kept = answers.get(slot)
    // the clock may step back, leaving an expired answer behind a live one: check each one read
    if (kept && kept.expiresAt > at) return { state: 'done', fingerprint: kept.fingerprint, answer: kept.answer }
    if (kept) answers.delete(slot)
    const mark = running.get(slot)
    if (mark && mark.leaseUntil > at) return { state: 'in_flight', fingerprint: mark.fingerprint }
    if (mark) running.delete(slot)
    return undefined
  }

  return {
    async begin(botId, key, fingerprint): Promise<BeginOutcome> {
      const at = now()
      sweep(at)
      const slot = slotOf(botId, key)
      const state = held(slot, at)
      if (state) return state
      running.set(slot, { fingerprint, leaseUntil: at + leaseMs })
      return { state: 'claimed' }
    },
    async get(botId, key) {
      return held(slotOf(botId, key), now())
    },
    async complete(botId, key, fingerprint, answer) {
      const slot = slotOf(botId, key)
      running.delete(slot)
      answers.delete(slot) // re-inserted at the end: the Map's order stays the expiry order
      answers.set(slot, { fingerprint, answer, expiresAt: now() + ttlMs })
      for (const oldest of answers.keys()) {
        if (answers.size <= maxKeys) break
        answers.delete(oldest)
      }
    },
    async release(botId, key) {
      running.delete(slotOf(botId, key))
    },
    size: () => answers.size,
  }
}
