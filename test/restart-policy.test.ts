import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { decideRestart, NO_CRASHES, type RestartPolicySettings } from '../src/pool/restart-policy.ts'

/** The pure policy with its history threaded through, as the lifecycle holds it. */
function createRestartPolicy(policy: RestartPolicySettings, random: () => number = Math.random) {
  let history = NO_CRASHES
  return {
    onCrash(now: number, upSince: number) {
      const next = decideRestart(policy, history, now, upSince, random())
      history = next.history
      return next.decision
    },
    reset() {
      history = NO_CRASHES
    },
  }
}

const settings = { maxRestarts: 3, windowMs: 60_000, backoffBaseMs: 100, backoffMaxMs: 5_000, stableAfterMs: 30_000 }

describe('restart policy', () => {
  test('the first retry comes well under a second, then the delay doubles up to the cap', () => {
    const policy = createRestartPolicy({ ...settings, maxRestarts: 100, windowMs: 1 }, () => 1)
    const delays = Array.from({ length: 8 }, (_, index) => {
      const decision = policy.onCrash(index * 10, index * 10)
      return decision.action === 'restart' ? decision.delayMs : -1
    })
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000])
  })

  test('jitter keeps every delay between half the ceiling and the ceiling', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 20 }),
        (roll, crashesBefore) => {
          const policy = createRestartPolicy({ ...settings, maxRestarts: 100, windowMs: 1 }, () => roll)
          for (let i = 0; i < crashesBefore; i++) policy.onCrash(i, i)
          const decision = policy.onCrash(crashesBefore, crashesBefore)
          if (decision.action !== 'restart') return false
          const ceiling = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** crashesBefore)
          return decision.delayMs >= ceiling / 2 && decision.delayMs <= ceiling
        },
      ),
    )
  })

  test('more than maxRestarts crashes within the window: fail', () => {
    const policy = createRestartPolicy(settings)
    expect([1, 2, 3].map((t) => policy.onCrash(t, t).action)).toEqual(['restart', 'restart', 'restart'])
    expect(policy.onCrash(4, 4)).toEqual({ action: 'fail', restartsInWindow: 3 })
  })

  test('crashes older than the window no longer count', () => {
    const policy = createRestartPolicy(settings)
    for (const t of [0, 1, 2]) policy.onCrash(t, t)
    expect(policy.onCrash(settings.windowMs + 5, settings.windowMs).action).toBe('restart')
  })

  test('a stable run resets the backoff; reset() clears everything', () => {
    const policy = createRestartPolicy({ ...settings, maxRestarts: 100 }, () => 1)
    policy.onCrash(0, 0)
    policy.onCrash(10, 10)
    expect(policy.onCrash(100_000, 100_000 - settings.stableAfterMs)).toMatchObject({ delayMs: 100, attempt: 1 })
    for (const t of [1, 2, 3]) policy.onCrash(200_000 + t, 200_000 + t)
    policy.reset()
    expect(policy.onCrash(200_010, 200_010)).toMatchObject({ delayMs: 100, attempt: 1 })
  })
})
