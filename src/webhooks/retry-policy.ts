/** What one attempt's result means for the event: the pure part of the retry rules. */

export type AttemptResult =
  | { kind: 'answered'; statusCode: number; retryAfterMs: number | null }
  | { kind: 'timeout' }
  | { kind: 'network'; message: string }
  /** The SSRF guard refused the address, or the URL cannot be requested: the same place again would fail again. */
  | { kind: 'refused'; message: string }

export type Verdict = 'delivered' | 'retry' | 'final'

/**
 * 2xx delivered. 5xx, 408, 429, timeouts and connection errors may pass: retry. Any other status (4xx, and 3xx:
 * redirects are not followed, the receiver must give the final URL) is the receiver's considered answer: final.
 */
export function judge(result: AttemptResult): Verdict {
  switch (result.kind) {
    case 'answered': {
      const { statusCode } = result
      if (statusCode >= 200 && statusCode < 300) return 'delivered'
      if (statusCode >= 500 || statusCode === 408 || statusCode === 429) return 'retry'
      return 'final'
    }
    case 'timeout':
    case 'network':
      return 'retry'
    case 'refused':
      return 'final'
  }
}

/**
 * The wait before attempt `attempt + 1`: the receiver's Retry-After when it gave one, else exponential from
 * `baseMs` with jitter (half to all of it, as the worker restarts do) so many webhooks failing at once spread out;
 * both capped at `maxMs`. `random` is in [0, 1).
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | null,
  policy: { baseMs: number; maxMs: number },
  random: () => number,
): number {
  if (retryAfterMs !== null) return Math.min(Math.max(0, retryAfterMs), policy.maxMs)
  const full = Math.min(policy.baseMs * 2 ** Math.max(0, attempt - 1), policy.maxMs)
  return Math.round(full / 2 + (random() * full) / 2)
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs)
}
