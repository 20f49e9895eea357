const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/

/** "7d", "12h", "30m", "45s", "500ms" → milliseconds; "0" → 0 (never); anything else → undefined. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim()
  if (/^0+$/.test(trimmed)) return 0
  const match = DURATION.exec(trimmed)
  if (!match) return undefined
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS])
  // A timer cannot wait longer than 2^31-1 ms; ten years is the ceiling.
  return ms <= 10 * 365 * UNIT_MS.d ? ms : undefined
}
