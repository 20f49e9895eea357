import { createHmac } from 'node:crypto'

/** Seconds between the Unix epoch and Discord's token epoch (2011-01-01), as the second token part counts. */
const TOKEN_EPOCH_S = 1_293_840_000

/**
 * A token shaped like Discord's: base64url(user id) "." base64url(4-byte issue time) "." 38-char HMAC.
 * Same bot user + different issue time = a different token, which is how a reset token looks.
 */
export function makeBotToken(userId: string, issuedAtMs: number, secret: string): string {
  const issued = Buffer.alloc(4)
  issued.writeUInt32BE(Math.max(0, Math.floor(issuedAtMs / 1000) - TOKEN_EPOCH_S))
  const head = Buffer.from(userId).toString('base64url')
  const mid = issued.toString('base64url')
  const mac = createHmac('sha256', secret).update(`${head}.${mid}`).digest('base64url').slice(0, 38)
  return `${head}.${mid}.${mac}`
}

/** The user id a token claims to be for, or null when it is not token-shaped. */
export function userIdOfToken(token: string): string | null {
  const [head, mid, mac, ...rest] = token.split('.')
  if (!head || !mid || !mac || rest.length > 0) return null
  const id = Buffer.from(head, 'base64url').toString()
  return /^\d{17,20}$/.test(id) ? id : null
}
