/**
 * When to restart a crashed worker, and when to give up: exponential backoff with jitter, reset after a
 * stable run, and OTP-style intensity (more than `maxRestarts` within `windowMs` → failed).
 */
export type RestartPolicySettings = {
  maxRestarts: number
  windowMs: number
  backoffBaseMs: number
  backoffMaxMs: number
  /** A worker up this long counts as healthy again: its backoff starts over. */
  stableAfterMs: number
}

export type RestartDecision = { action: 'restart'; delayMs: number; attempt: number } | { action: 'fail'; restartsInWindow: number }

export type RestartPolicy = {
  /** A crash happened at `now`; the worker had been up since `upSince`. */
  onCrash(now: number, upSince: number): RestartDecision
  /** An operator restarted it by hand: intensity and backoff start over. */
  reset(): void
}

export function createRestartPolicy(settings: RestartPolicySettings, random: () => number = Math.random): RestartPolicy {
  let crashes: number[] = []
  let attempt = 0

  return {
    onCrash(now, upSince) {
      if (now - upSince >= settings.stableAfterMs) attempt = 0
      crashes = crashes.filter((at) => now - at < settings.windowMs)
      crashes.push(now)
      if (crashes.length > settings.maxRestarts) return { action: 'fail', restartsInWindow: crashes.length - 1 }
      const ceiling = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** attempt)
      attempt += 1
      // "equal jitter": at least half the ceiling, so a crash loop still slows down, never in lockstep
      const delayMs = Math.round(ceiling / 2 + (random() * ceiling) / 2)
      return { action: 'restart', delayMs, attempt }
    },
    reset() {
      crashes = []
      attempt = 0
    },
  }
}
