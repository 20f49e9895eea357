import { chmodSync, linkSync, mkdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * Files only the service's own user may read (the admin token, the token encryption key), kept under DATA_DIR.
 * Windows has no POSIX modes: the checks of group and other bits are skipped there.
 */
const checksModes = process.platform !== 'win32'

/** Creates the directory if missing, 0700 when this creates it (an existing one keeps its mode). */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
}

/** A temp file beside the target, 0600 from its first byte (the mode is set again: umask may have narrowed it). */
function writeTemp(file: string, content: string): string {
  const temp = `${file}.${process.pid}.${crypto.randomUUID()}.tmp`
  writeFileSync(temp, content, { mode: 0o600, flag: 'wx' })
  chmodSync(temp, 0o600)
  return temp
}

/**
 * Writes `content` to DATA_DIR/`name`, mode 0600, atomically: a reader sees the old file or the whole new one,
 * never half of it (temp file + rename). Returns the file's absolute path.
 */
export function writePrivateFile(dir: string, name: string, content: string): string {
  ensurePrivateDir(dir)
  const file = resolve(join(dir, name))
  renameSync(writeTemp(file, content), file)
  return file
}

/**
 * Creates DATA_DIR/`name` with `content` (0600, atomically) unless it exists: a hard link never replaces a file,
 * so when two processes race the first one's file wins and both read it. Returns the path and whether this call
 * created it.
 */
export function createPrivateFileOnce(dir: string, name: string, content: string): { file: string; created: boolean } {
  ensurePrivateDir(dir)
  const file = resolve(join(dir, name))
  const temp = writeTemp(file, content)
  try {
    linkSync(temp, file)
    return { file, created: true }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { file, created: false }
    throw err
  } finally {
    unlinkSync(temp)
  }
}

/** Group or other permission bits of a file that should be its owner's only (0 on Windows, where modes mean nothing). */
export function looserThanOwnerOnly(file: string): number {
  return checksModes ? statSync(file).mode & 0o077 : 0
}
