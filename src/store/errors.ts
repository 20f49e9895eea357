/**
 * Why the store cannot open or write. The caller (main.ts, at start-up) prints `message` and exits non-zero:
 * each one names the file and what to do, and none is worth a retry loop (a process manager restarting the
 * service would only meet the same file again).
 */
export type StoreErrorCode =
  | 'bad_key' // TOKEN_ENCRYPTION_KEY or secret.key is not 32 bytes of base64
  | 'key_file_exposed' // secret.key is readable by group or others
  | 'wrong_key' // the database was created with another key
  | 'schema_too_new' // written by a newer Botvisor
  | 'corrupt' // not a SQLite database, or a damaged one
  | 'unwritable' // the directory or file cannot be created or written
  | 'disk_full'
  | 'io' // any other failure of the file system or SQLite

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    /** The file (or directory) concerned, absolute. */
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'StoreError'
  }
}

/** SQLite's and the file system's failures, in the words a person running the service can act on. */
export function toStoreError(err: unknown, file: string): StoreError {
  if (err instanceof StoreError) return err
  const code = String((err as { code?: unknown })?.code ?? '')
  const detail = err instanceof Error ? err.message : String(err)
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new StoreError('disk_full', file, `${file}: the disk is full (${detail}); nothing was half-written`, {
      cause: err,
    })
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreError(
      'corrupt',
      file,
      `${file} is not a usable SQLite database (${detail}): restore it from a backup, or move it away to start empty`,
      { cause: err },
    )
  }
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_PERM' ||
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EROFS'
  ) {
    return new StoreError(
      'unwritable',
      file,
      `${file} cannot be created or written (${detail}): DATA_DIR must be a directory this user can write`,
      { cause: err },
    )
  }
  return new StoreError('io', file, `${file}: ${detail}`, { cause: err })
}
