import { expect, test } from 'bun:test'
import { guardedWithin } from '../workers/failures.ts'

// The worker's bound on one API call's Discord work (workers/failures.ts). Work that never settles stands in
// for @discordjs/rest sleeping on a rate limit or retrying: code that does not watch the signal.

test('work that never settles is answered 504 as data at the deadline, and its signal is aborted', async () => {
  let seen: AbortSignal | undefined
  const result = await guardedWithin(20, (signal) => {
    seen = signal
    return new Promise<never>(() => {})
  })
  expect(result).toEqual({ ok: false, status: 504, discordCode: 0, detail: 'Discord did not answer in time' })
  expect(seen?.aborted).toBe(true)
})

test('work that rejects its own way when aborted (a queued request) is still answered 504, not thrown as a bug', async () => {
  const result = await guardedWithin(
    20,
    (signal) =>
      new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('Request aborted manually'))),
      ),
  )
  expect(result).toMatchObject({ ok: false, status: 504 })
})

test('an answer before the deadline is returned as is; a bug before it is thrown, not hidden as a timeout', async () => {
  expect(await guardedWithin(60_000, async () => 'answered')).toEqual({ ok: true, value: 'answered' })
  await expect(
    guardedWithin(60_000, async () => {
      throw new RangeError('our bug')
    }),
  ).rejects.toThrow('our bug')
})
