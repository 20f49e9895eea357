import type { NewestRun, Page } from '../contract.ts'

/**
 * One body for a channel's newest messages, cut to any `limit`: the worker and the gateway each keep one per
 * channel instead of one per limit asked (limits 1–100 on 4 channels held 400 bodies, 5.5 MB).
 */
export function toNewestRun(messages: readonly { id: string }[], complete: boolean): NewestRun {
  const parts = messages.map((message) => JSON.stringify(message))
  const ends: number[] = []
  let at = 1 // after '['
  for (const part of parts) {
    at += part.length
    ends.push(at)
    at += 1 // the comma
  }
  return { body: `[${parts.join(',')}]`, ends, ids: messages.map((message) => message.id), complete }
}

/**
 * The newest `limit` messages of the run as Discord would answer them, or null when the run cannot tell (it
 * holds fewer and Discord has older ones). A next page only when one exists: past the run's end, or older
 * messages Discord still holds.
 */
export function cutNewestRun(run: NewestRun, limit: number): Omit<Page, 'freshForMs' | 'run'> | null {
  const held = run.ids.length
  if (limit < 1 || (held < limit && !run.complete)) return null
  const more = held > limit || (held === limit && !run.complete)
  const nextCursor = more ? (run.ids[limit - 1] ?? null) : null
  if (limit >= held) return { body: run.body, nextCursor }
  // a substring and a one-character concatenation: no copy until the response is written
  return { body: `${run.body.slice(0, run.ends[limit - 1])}]`, nextCursor }
}
