/**
 * The query rules of the read routes, one definition for the zod schemas (which also feed /openapi.json) and for
 * the short path (fast-reads.ts), so the two can never disagree on what a valid id or limit is.
 */

/** Discord snowflakes: 17–20 digits. */
export const SNOWFLAKE = /^\d{17,20}$/

export type LimitRange = { max: number; default: number }
/** Members: Discord pages 1 000 at a time, and that is our most too. */
export const MEMBERS_LIMIT: LimitRange = { max: 1000, default: 100 }
/** Messages: above 100 the bot pages Discord with `before`; 500 bounds one request's Discord calls. */
export const MESSAGES_LIMIT: LimitRange = { max: 500, default: 100 }

/** What a bad limit says, whatever was wrong with it: `limit=`, `1e2`, `+5` and ` 5` are not integers here. */
export const limitProblem = (range: LimitRange) => `must be an integer from 1 to ${range.max}`

/**
 * `limit` as sent (absent: the default), or null when it is not digits only or out of range. Digits only, unlike
 * Number(): `1e2`, `+5`, ` 5`, `0x10` and the empty string are not what a client means by an integer.
 */
export function readLimit(raw: string | undefined, range: LimitRange): number | null {
  if (raw === undefined) return range.default
  if (!/^\d{1,7}$/.test(raw)) return null
  const limit = Number(raw)
  return limit >= 1 && limit <= range.max ? limit : null
}
