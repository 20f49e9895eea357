import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writePrivateFile } from './private-file.ts'

/**
 * Writes a generated admin token to DATA_DIR/admin-token, readable by its owner only (0600, in a 0700 directory
 * when this creates it), and returns the file's absolute path. Written to a temp file and renamed, so a file that
 * already existed is replaced whole, mode included. DATA_DIR ':memory:' names no directory: the file goes to a
 * fresh private directory under the system's temp dir instead (never a directory called ':memory:').
 */
export function writeAdminToken(dataDir: string, token: string): string {
  const dir = dataDir === ':memory:' ? mkdtempSync(join(tmpdir(), 'botvisor-')) : dataDir
  return writePrivateFile(dir, 'admin-token', `${token}\n`)
}
