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

export type RestartDecision =
  | { action: 'restart'; delayMs: number; attempt: number }
  | { action: 'fail'; restartsInWindow: number }

/** What the policy remembers between crashes: plain data, so the worker lifecycle can hold it in its state. */
export type RestartHistory = { readonly crashes: readonly number[]; readonly attempt: number }
export const NO_CRASHES: RestartHistory = { crashes: [], attempt: 0 }

/**
 * A crash happened at `now`; the worker had been up since `upSince`. `roll` in [0, 1] is the jitter
 * (Math.random in the service, fixed in tests).
 */
export function decideRestart(
  settings: RestartPolicySettings,
  history: RestartHistory,
  now: number,
  upSince: number,
  roll: number,
): { decision: RestartDecision; history: RestartHistory } {
  const attempt = now - upSince >= settings.stableAfterMs ? 0 : history.attempt
  const crashes = [...history.crashes.filter((at) => now - at < settings.windowMs), now]
  if (crashes.length > settings.maxRestarts) {
    return { decision: { action: 'fail', restartsInWindow: crashes.length - 1 }, history: { crashes, attempt } }
  }
  const ceiling = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** attempt)
  // "equal jitter": at least half the ceiling, so a crash loop still slows down, never in lockstep
  const delayMs = Math.round(ceiling / 2 + (roll * ceiling) / 2)
  return { decision: { action: 'restart', delayMs, attempt: attempt + 1 }, history: { crashes, attempt: attempt + 1 } }
}
