/**
 * A Discord bot token is three base64url parts: base64url(the bot's user id, a snowflake), base64url(issue
 * time), and an HMAC. What does not have that shape cannot be a token, so it is refused before it costs a
 * worker or a Discord call (each refused call counts toward Discord's invalid-request IP ban).
 */

/** Real tokens are ~72 characters; the snowflake part alone is at most 28. Far longer is not a token. */
export const MAX_TOKEN_LENGTH = 128

const SHAPE = /^([A-Za-z0-9_-]{16,28})\.[A-Za-z0-9_-]{4,16}\.[A-Za-z0-9_-]{20,80}$/
const SNOWFLAKE = /^[1-9]\d{16,19}$/

/** True when `token` could be a bot token: ASCII base64url only, three parts, the first a snowflake. */
export function isTokenShaped(token: string): boolean {
  if (token.length > MAX_TOKEN_LENGTH) return false // before the regex: never scan a megabyte
  const head = SHAPE.exec(token)?.[1]
  if (!head) return false
  return SNOWFLAKE.test(Buffer.from(head, 'base64url').toString('latin1'))
}
