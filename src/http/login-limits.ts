import { AppError } from '../errors.ts'

/**
 * Login attempts per client IP: a token bucket where an attempt takes one unit and a failed one (a token that is
 * not a token, or that Discord rejected) takes `failureCost` in all, so guessing is slow while a client logging
 * its bots in again after a restart is not held back. Plus a cap on logins in progress per IP, so one client
 * cannot fill the start queue.
 *
 * The buckets live behind `BucketStore` (in memory here): a shared store (Redis, one script per spend) can
 * replace it without touching the route.
 */
export type LoginLimitSettings = {
  /** Bucket size: attempts a client may make at once. */
  burst: number
  /** Units refilled per minute. */
  perMinute: number
  /** What a failed attempt costs in all (the attempt's own unit included). */
  failureCost: number
  /** Logins in progress per IP. */
  maxPending: number
}

export type Bucket = { balance: number; at: number }

export interface BucketStore {
  /**
   * Refills `key`'s bucket up to `now`, then takes `cost` from it when the balance covers it, or always when
   * `force` (down to -burst: a failure can put a client in debt); returns whether it took and the balance after.
   */
  spend(key: string, cost: number, now: number, force: boolean): Promise<{ taken: boolean; balance: number }>
}

export function createMemoryBucketStore(settings: LoginLimitSettings): BucketStore {
  const buckets = new Map<string, Bucket>()
  const perMs = settings.perMinute / 60_000
  const refilled = (bucket: Bucket, now: number) =>
    Math.min(settings.burst, bucket.balance + Math.max(0, now - bucket.at) * perMs)
  return {
    async spend(key, cost, now, force) {
      const bucket = buckets.get(key) ?? { balance: settings.burst, at: now }
      const balance = refilled(bucket, now)
      const taken = force || balance >= cost
      const after = taken ? Math.max(-settings.burst, balance - cost) : balance
      // re-inserted at the end: the Map stays ordered by last use, so the sweep below looks at the oldest only
      buckets.delete(key)
      buckets.set(key, { balance: after, at: now })
      for (const [oldKey, old] of buckets) {
        if (oldKey === key || refilled(old, now) < settings.burst) break
        buckets.delete(oldKey) // full again: as good as never seen; keeps memory bounded under an address spray
      }
      return { taken, balance: after }
    },
  }
}

export type LoginTicket = {
  /** RateLimit / RateLimit-Policy headers for the answer. */
  headers: Record<string, string>
  /** The login ended; `failed` charges the rest of the failure cost. Idempotent. The headers, now. */
  finish(failed: boolean): Promise<Record<string, string>>
}

export type LoginLimits = {
  /** Takes a unit and a pending slot for `ip`, or throws the 429 to answer. */
  admit(ip: string): Promise<LoginTicket>
  pending(ip: string): number
  settings: LoginLimitSettings
}

const POLICY = 'login'

export function createLoginLimits(
  settings: LoginLimitSettings,
  store: BucketStore = createMemoryBucketStore(settings),
  now: () => number = Date.now,
): LoginLimits {
  const pendingByIp = new Map<string, number>()
  const perSecond = settings.perMinute / 60
  // draft-ietf-httpapi-ratelimit-headers-11: q units per w seconds; w here is the time a drained bucket needs
  const windowS = Math.max(1, Math.ceil(settings.burst / perSecond))
  const policy = `"${POLICY}";q=${settings.burst};w=${windowS}`
  const secondsUntil = (balance: number, wanted: number) => Math.max(0, Math.ceil((wanted - balance) / perSecond))
  const headersFor = (balance: number) => ({
    'RateLimit-Policy': policy,
    RateLimit: `"${POLICY}";r=${Math.max(0, Math.floor(balance))};t=${secondsUntil(balance, settings.burst)}`,
  })

  function refuse(message: string, retryAfterS: number, balance: number): never {
    throw new AppError(429, 'rate_limited', message, {
      headers: { 'Retry-After': String(Math.max(1, retryAfterS)), ...headersFor(balance) },
    })
  }

  return {
    settings,
    pending: (ip) => pendingByIp.get(ip) ?? 0,
    async admit(ip) {
      const pending = pendingByIp.get(ip) ?? 0
      if (pending >= settings.maxPending) {
        const { balance } = await store.spend(ip, 0, now(), false)
        refuse(`Too many logins in progress from this address (at most ${settings.maxPending})`, 1, balance)
      }
      const { taken, balance } = await store.spend(ip, 1, now(), false)
      if (!taken) refuse('Too many login attempts from this address; retry later', secondsUntil(balance, 1), balance)
      pendingByIp.set(ip, (pendingByIp.get(ip) ?? 0) + 1)
      let finished: Promise<Record<string, string>> | undefined
      const finish = async (failed: boolean) => {
        const left = (pendingByIp.get(ip) ?? 1) - 1
        if (left > 0) pendingByIp.set(ip, left)
        else pendingByIp.delete(ip)
        if (!failed || settings.failureCost <= 1) return headersFor(balance)
        return headersFor((await store.spend(ip, settings.failureCost - 1, now(), true)).balance)
      }
      return {
        headers: headersFor(balance),
        finish: (failed) => {
          finished ??= finish(failed)
          return finished
        },
      }
    },
  }
}

const unmapped = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').toLowerCase()

/**
 * The client's address: the peer's, unless the peer is a trusted proxy; then X-Forwarded-For is read from the
 * right (the entries the trusted proxies appended), and the first address that is not a trusted proxy is the
 * client. Entries left of it were written by the client and are not believed.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | undefined,
  trusted: Set<string>,
): string {
  const direct = unmapped(peer ?? 'unknown')
  if (!trusted.has(direct) || !forwardedFor) return direct
  const hops = forwardedFor
    .split(',')
    .map((hop) => unmapped(hop.trim()))
    .filter((hop) => hop.length > 0 && hop.length <= 64)
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trusted.has(hops[i]!)) return hops[i]!
  }
  return hops[0] ?? direct
}
