import { createHmac, randomBytes } from 'node:crypto'

/**
 * Generated secrets are `whsec_` + 32 random bytes in base64url (43 characters). The prefix is Stripe's and
 * Svix's: secret scanners (GitHub's among them) and people recognise the string for what it is in a paste or a
 * log. The HMAC key is the whole string as UTF-8, exactly what the caller received, so a receiver needs no decoding.
 */
export const generateSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the Stripe/Svix scheme; the version leaves room for v2. */
export function signatureHeader(secret: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')
  return `v1=${mac}`
}
