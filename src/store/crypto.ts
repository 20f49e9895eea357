import { StoreError } from './errors.ts'

/**
 * Bot tokens at rest: AES-256-GCM through WebCrypto. A sealed value is
 *   [format version: 1 byte][IV: 12 random bytes][ciphertext and 16-byte tag]
 * and is bound to its row by the additional authenticated data (the table and the row's key), so a value copied
 * into another row fails to open instead of starting the wrong bot. The version byte leaves room for another
 * algorithm or key later without guessing.
 */
const FORMAT_V1 = 1
// 96 bits is GCM's native IV size (NIST SP 800-38D): random IVs are safe for far more values than a store holds.
const IV_BYTES = 12
const encoder = new TextEncoder()
const decoder = new TextDecoder()

export const importTokenKey = (bytes: Uint8Array<ArrayBuffer>): Promise<CryptoKey> =>
  crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt'])

export interface Sealer {
  seal(plaintext: string, rowIdentity: string): Promise<Uint8Array>
  /** Undefined when the value was sealed with another key, for another row, or altered. */
  open(sealed: Uint8Array, rowIdentity: string): Promise<string | undefined>
}

export function createSealer(key: CryptoKey): Sealer {
  return {
    async seal(plaintext, rowIdentity) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
      const params = { name: 'AES-GCM', iv, additionalData: encoder.encode(rowIdentity) }
      const ciphertext = new Uint8Array(await crypto.subtle.encrypt(params, key, encoder.encode(plaintext)))
      const sealed = new Uint8Array(1 + IV_BYTES + ciphertext.length)
      sealed[0] = FORMAT_V1
      sealed.set(iv, 1)
      sealed.set(ciphertext, 1 + IV_BYTES)
      return sealed
    },
    async open(sealed, rowIdentity) {
      if (sealed[0] !== FORMAT_V1 || sealed.length < 1 + IV_BYTES + 16) return undefined
      const iv = new Uint8Array(sealed.subarray(1, 1 + IV_BYTES))
      const params = { name: 'AES-GCM', iv, additionalData: encoder.encode(rowIdentity) }
      try {
        // copied: a BLOB read from SQLite may be a view WebCrypto's types refuse
        return decoder.decode(await crypto.subtle.decrypt(params, key, new Uint8Array(sealed.subarray(1 + IV_BYTES))))
      } catch {
        return undefined // GCM's tag did not match: another key, another row, or altered bytes
      }
    },
  }
}

/** A known label sealed at creation: opening it proves the store was given the key it was created with. */
const KEY_CHECK_LABEL = 'botvisor token key check'
const KEY_CHECK_ROW = 'meta:key_check'

export const sealKeyCheck = (sealer: Sealer): Promise<Uint8Array> => sealer.seal(KEY_CHECK_LABEL, KEY_CHECK_ROW)

export async function assertKeyCheck(sealer: Sealer, sealed: Uint8Array, file: string): Promise<void> {
  if ((await sealer.open(sealed, KEY_CHECK_ROW)) === KEY_CHECK_LABEL) return
  throw new StoreError(
    'wrong_key',
    file,
    `${file} was created with another token encryption key: start with the TOKEN_ENCRYPTION_KEY (or the ` +
      'DATA_DIR/secret.key file) it was created with. Refusing to start rather than lose every stored bot.',
  )
}
