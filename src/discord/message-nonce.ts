import { nanoid } from 'nanoid'

/** Discord's limit for a message nonce sent as a string. */
const NONCE_LENGTH = 25

/** What the `Idempotency-Key` header may hold: 1–255 printable ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/

/**
 * The nonce a send carries with enforce_nonce. From the client's Idempotency-Key: a digest of the bot's id
 * and the key, so the same key sent again finds the first message and two bots' keys never meet (the key
 * itself never reaches Discord). Without one: fresh for this request, so only our own retries share it.
 */
export function messageNonce(botId: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return nanoid(NONCE_LENGTH)
  const digest = new Bun.CryptoHasher('sha256').update(`${botId}\n${idempotencyKey}`).digest('base64url')
  return digest.slice(0, NONCE_LENGTH)
}
