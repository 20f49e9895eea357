import { writePrivateFile } from './private-file.ts'

/**
 * Writes a generated admin token to DATA_DIR/admin-token, readable by its owner only (0600, in a 0700 directory
 * when this creates it), and returns the file's absolute path. Written to a temp file and renamed, so a file that
 * already existed is replaced whole, mode included.
 */
export function writeAdminToken(dataDir: string, token: string): string {
  return writePrivateFile(dataDir, 'admin-token', `${token}\n`)
}
