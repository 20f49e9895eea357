import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * Writes a generated admin token to DATA_DIR/admin-token, readable by its owner only (0600, in a 0700 directory
 * when this creates it), and returns the file's absolute path. The mode is set again after writing: a file that
 * already existed keeps its old mode through writeFileSync.
 */
export function writeAdminToken(dataDir: string, token: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const file = resolve(join(dataDir, 'admin-token'))
  writeFileSync(file, `${token}\n`, { mode: 0o600 })
  chmodSync(file, 0o600)
  return file
}
