import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createPrivateFileOnce, looserThanOwnerOnly } from '../private-file.ts'
import { importTokenKey } from './crypto.ts'
import { StoreError } from './errors.ts'

const KEY_BYTES = 32
export const SECRET_KEY_FILE = 'secret.key'
/** 32 bytes in base64 (standard or URL-safe alphabet) are 43 characters and one optional '=' of padding. */
const KEY_TEXT = /^[A-Za-z0-9+/_-]{43}=?$/

export const KEY_TEXT_RULE = `must be ${KEY_BYTES} bytes in base64 (44 characters; make one with: openssl rand -base64 32)`

/** The key's bytes, or undefined when the text is not exactly 32 bytes of base64. Never echoes the text. */
export function decodeKeyText(text: string): Uint8Array<ArrayBuffer> | undefined {
  const trimmed = text.trim()
  if (!KEY_TEXT.test(trimmed)) return undefined
  const bytes = new Uint8Array(Buffer.from(trimmed, 'base64'))
  return bytes.length === KEY_BYTES ? bytes : undefined
}

export type SecretKeyOptions = {
  dataDir: string
  /** TOKEN_ENCRYPTION_KEY as configured (validated by config.ts), or undefined to use DATA_DIR/secret.key. */
  envKey: string | undefined
  warn: (message: string) => void
}

export type SecretKey = { key: CryptoKey; source: 'env' } | { key: CryptoKey; source: 'file'; file: string }

/**
 * The key that seals bot tokens: TOKEN_ENCRYPTION_KEY, else DATA_DIR/secret.key, generated on first start.
 * A key file with the wrong content is an error, never replaced: a new key would make every stored token
 * unreadable. A key file others may read is refused as ssh refuses a private key others may read.
 */
export async function loadSecretKey(options: SecretKeyOptions): Promise<SecretKey> {
  if (options.envKey !== undefined) {
    const bytes = decodeKeyText(options.envKey)
    if (!bytes) throw new StoreError('bad_key', 'TOKEN_ENCRYPTION_KEY', `TOKEN_ENCRYPTION_KEY ${KEY_TEXT_RULE}`)
    return { key: await importTokenKey(bytes), source: 'env' }
  }
  const file = resolve(join(options.dataDir, SECRET_KEY_FILE))
  let created: boolean
  try {
    const generated = Buffer.from(crypto.getRandomValues(new Uint8Array(KEY_BYTES))).toString('base64')
    created = createPrivateFileOnce(options.dataDir, SECRET_KEY_FILE, `${generated}\n`).created
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err)
    throw new StoreError('unwritable', file, `${file} cannot be created (${detail}): DATA_DIR must be writable`, {
      cause: err,
    })
  }
  const loose = looserThanOwnerOnly(file)
  if (loose !== 0) {
    throw new StoreError(
      'key_file_exposed',
      file,
      `${file} may be read by others (mode ${loose.toString(8).padStart(3, '0')} beyond the owner's): run chmod 600 ${file}`,
    )
  }
  const bytes = decodeKeyText(readFileSync(file, 'utf8'))
  if (!bytes) {
    throw new StoreError(
      'bad_key',
      file,
      `${file} ${KEY_TEXT_RULE}; restore the original file (a new key cannot read the stored tokens)`,
    )
  }
  if (created) {
    options.warn(
      `TOKEN_ENCRYPTION_KEY is not set: generated the key that encrypts bot tokens into ${file} (mode 600). ` +
        'Keep it apart from backups of the database (whoever has both can read every token), and keep a copy: ' +
        'without it the stored tokens cannot be read.',
    )
  }
  return { key: await importTokenKey(bytes), source: 'file', file }
}
