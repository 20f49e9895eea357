import type { Logger } from '../log.ts'

type Level = 'info' | 'warn'
type Entry = { since: number; suppressed: number; level: Level; fields: Record<string, unknown>; msg: string }

/** Keys kept at once: keys are bounded by construction (status, code, route pattern); this is a backstop. */
const MAX_KEYS = 1_000

export type LogThrottle = {
  /**
   * Writes the line unless one with the same key was written within the interval; those left out are counted,
   * and the count goes out with the next line of the key, or on its own once the interval is over.
   */
  write(level: Level, key: string, fields: Record<string, unknown>, msg: string): void
}

/**
 * One line per key per interval for the warnings a client can cause at will (bad input, Discord's refusals,
 * a held-off Discord): a flood of junk must not become a flood of log lines (issue 11: 7 555 lines).
 */
export function createLogThrottle(log: Logger, intervalMs: number, now: () => number = Date.now): LogThrottle {
  const entries = new Map<string, Entry>()
  let sweep: ReturnType<typeof setTimeout> | undefined

  const summarize = (key: string, entry: Entry) => {
    log[entry.level]({ ...entry.fields, key, suppressed: entry.suppressed }, `${entry.msg} (repeated)`)
  }
  const flush = () => {
    sweep = undefined
    const at = now()
    for (const [key, entry] of entries) {
      if (at - entry.since < intervalMs) continue
      if (entry.suppressed > 0) summarize(key, entry)
      entries.delete(key)
    }
    if (entries.size > 0) schedule()
  }
  function schedule() {
    if (sweep !== undefined) return
    sweep = setTimeout(flush, intervalMs)
    // the summaries must not keep a process alive that is otherwise done
    ;(sweep as { unref?: () => void }).unref?.()
  }

  return {
    write(level, key, fields, msg) {
      if (intervalMs <= 0) return log[level](fields, msg)
      const at = now()
      const entry = entries.get(key)
      if (entry && at - entry.since < intervalMs) {
        entry.suppressed += 1
        entry.fields = fields
        entry.msg = msg
        entry.level = level
        return
      }
      const suppressed = entry?.suppressed ?? 0
      if (!entry && entries.size >= MAX_KEYS) {
        const oldest = entries.keys().next().value!
        const evicted = entries.get(oldest)!
        if (evicted.suppressed > 0) summarize(oldest, evicted)
        entries.delete(oldest)
      }
      entries.delete(key) // re-inserted last: the Map's order stays oldest first
      entries.set(key, { since: at, suppressed: 0, level, fields, msg })
      log[level](suppressed > 0 ? { ...fields, suppressed } : fields, msg)
      schedule()
    },
  }
}
