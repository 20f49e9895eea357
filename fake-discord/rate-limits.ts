import { createHash } from 'node:crypto'

/**
 * Per-bot route buckets (major parameter apart, as Discord keys them) plus a per-bot global limit.
 * Defaults are Discord's common read bucket (50 per second) and its global 50 requests per second.
 */
export interface RateLimitOptions {
  bucketLimit: number
  bucketWindowMs: number
  globalPerSecond: number
}

export interface RateLimitDecision {
  headers: Record<string, string>
  limited: null | { retryAfterMs: number; global: boolean }
}

export interface RateLimiter {
  take(identity: string, routeKey: string, majorId: string): RateLimitDecision
  exhaust(identity: string, routeKey: string, retryAfterMs: number): void
  reset(): void
}

interface Window {
  remaining: number
  resetAtMs: number
}

export const DEFAULT_RATE_LIMITS: RateLimitOptions = { bucketLimit: 50, bucketWindowMs: 1_000, globalPerSecond: 50 }

export function createRateLimiter(options: RateLimitOptions = DEFAULT_RATE_LIMITS, now = Date.now): RateLimiter {
  const buckets = new Map<string, Window>()
  const globals = new Map<string, Window>()
  const forced = new Map<string, number>() // identity + route → 429 until this time
  const hashes = new Map<string, string>()
  const hashOf = (routeKey: string): string => {
    let hash = hashes.get(routeKey)
    if (!hash) {
      hash = createHash('sha1').update(routeKey).digest('hex').slice(0, 32) // opaque, stable, like Discord's
      hashes.set(routeKey, hash)
    }
    return hash
  }
  const current = (map: Map<string, Window>, key: string, limit: number, windowMs: number, at: number): Window => {
    const existing = map.get(key)
    if (existing && at < existing.resetAtMs) return existing
    const fresh = { remaining: limit, resetAtMs: at + windowMs }
    map.set(key, fresh)
    return fresh
  }
  const headersFor = (routeKey: string, remaining: number, resetAtMs: number, at: number) => ({
    'X-RateLimit-Limit': String(options.bucketLimit),
    'X-RateLimit-Remaining': String(remaining),
    'X-RateLimit-Reset': (resetAtMs / 1000).toFixed(3),
    'X-RateLimit-Reset-After': (Math.max(0, resetAtMs - at) / 1000).toFixed(3),
    'X-RateLimit-Bucket': hashOf(routeKey),
  })
  const limitedBy = (headers: Record<string, string>, retryAfterMs: number, global: boolean): RateLimitDecision => ({
    headers: {
      ...headers,
      'Retry-After': String(Math.ceil(retryAfterMs / 1000)), // whole seconds in the header, exact in the body
      'X-RateLimit-Scope': global ? 'global' : 'user',
      ...(global ? { 'X-RateLimit-Global': 'true' } : {}),
    },
    limited: { retryAfterMs, global },
  })

  return {
    take(identity, routeKey, majorId) {
      const at = now()
      const forcedUntil = forced.get(`${identity}\0${routeKey}`) ?? 0
      if (at < forcedUntil) return limitedBy(headersFor(routeKey, 0, forcedUntil, at), forcedUntil - at, false)
      const global = current(globals, identity, options.globalPerSecond, 1_000, at)
      const bucket = current(
        buckets,
        `${identity}\0${routeKey}\0${majorId}`,
        options.bucketLimit,
        options.bucketWindowMs,
        at,
      )
      if (global.remaining <= 0) {
        return limitedBy(headersFor(routeKey, bucket.remaining, bucket.resetAtMs, at), global.resetAtMs - at, true)
      }
      if (bucket.remaining <= 0) {
        return limitedBy(headersFor(routeKey, 0, bucket.resetAtMs, at), bucket.resetAtMs - at, false)
      }
      global.remaining--
      bucket.remaining--
      return { headers: headersFor(routeKey, bucket.remaining, bucket.resetAtMs, at), limited: null }
    },
    exhaust(identity, routeKey, retryAfterMs) {
      forced.set(`${identity}\0${routeKey}`, now() + retryAfterMs)
    },
    reset() {
      buckets.clear()
      globals.clear()
      forced.clear()
    },
  }
}
