/** SHA-256 in hex: how a token becomes a bot key (as src/pool/pool.ts's botKeyOf) and a session id a row key. */
export const sha256Hex = (text: string): string => new Bun.CryptoHasher('sha256').update(text).digest('hex')

/** The part of a session id that logs and the admin list show; too short to be replayed. */
export const SESSION_LABEL_LENGTH = 6

/** Hex characters of the SHA-256 of a session id that name it to an admin (64 bits; see SessionRecord.handle). */
export const SESSION_HANDLE_LENGTH = 16
