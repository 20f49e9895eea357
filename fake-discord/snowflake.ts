/** Discord's epoch: the first second of 2015, in Unix milliseconds (docs: Reference → Snowflakes). */
export const DISCORD_EPOCH_MS = 1_420_070_400_000

/** A snowflake as Discord builds it: ms since its epoch << 22 | worker << 17 | process << 12 | increment. */
export function snowflakeAt(timestampMs: number, increment: number, workerId = 1, processId = 0): string {
  const value =
    (BigInt(timestampMs - DISCORD_EPOCH_MS) << 22n) |
    (BigInt(workerId & 31) << 17n) |
    (BigInt(processId & 31) << 12n) |
    BigInt(increment & 0xfff)
  return value.toString()
}

export function timestampOf(snowflake: string): number {
  return Number(BigInt(snowflake) >> 22n) + DISCORD_EPOCH_MS
}

/** Discord accepts any unsigned 64-bit integer in decimal as a snowflake; anything else is NUMBER_TYPE_COERCE. */
export function isSnowflake(value: string): boolean {
  return /^\d{1,20}$/.test(value) && BigInt(value) < 2n ** 64n
}

export function compareSnowflakes(a: string, b: string): number {
  const diff = BigInt(a) - BigInt(b)
  return diff === 0n ? 0 : diff < 0n ? -1 : 1
}

/**
 * Ids for things created at run time. The increment keeps ids made in the same millisecond distinct and
 * ordered; the clock never goes backwards, so new ids always sort after the seeded ones.
 */
export function createSnowflakeClock(now: () => number = Date.now): () => string {
  let lastMs = 0
  let increment = 0
  return () => {
    const ms = Math.max(now(), lastMs)
    increment = ms === lastMs ? increment + 1 : 0
    lastMs = ms
    if (increment > 0xfff) {
      lastMs += 1 // 4096 ids in one millisecond: borrow the next one, as Discord's workers do
      increment = 0
    }
    return snowflakeAt(lastMs, increment, 2, 0)
  }
}
