import type { Session } from '../sessions/store.ts'
import { SESSION_HANDLE_LENGTH, SESSION_LABEL_LENGTH, sha256Hex } from './hash.ts'
import type { DurableSessionStore, EndedSession, SessionRecord } from './types.ts'

/** The handle is derived from the hash: not stored twice. */
export type StoredSession = Omit<SessionRecord, 'handle'> & { hash: string }

/** Where a backend keeps sessions; the index in front answers every read. Memory: nothing to do. */
export interface SessionPersistence {
  insert(session: StoredSession): Promise<void>
  remove(hashes: string[]): Promise<void>
  /** A batch of last-used times (one transaction). */
  writeLastUsed(entries: Array<{ hash: string; lastUsedAt: number }>): Promise<void>
}

/** Memory only: nothing to write. */
export const KEEPS_NOTHING: SessionPersistence = {
  insert: async () => {},
  remove: async () => {},
  writeLastUsed: async () => {},
}

type Entry = StoredSession & { session?: Session }

export type FlushableSessionStore = DurableSessionStore & { flush(): Promise<void> }

/**
 * Every session in memory, keyed by the SHA-256 of its id (the only key a restored session has), so `peek` never
 * waits for storage. Ids seen in this process are remembered beside it: the hot path hashes nothing. Writes go to
 * `persistence` first, then to memory, so a failed write leaves both as they were.
 */
export function createIndexedSessionStore(options: {
  restored: StoredSession[]
  persistence: SessionPersistence
  now: () => number
}): FlushableSessionStore {
  const { persistence, now } = options
  const entries = new Map<string, Entry>()
  const hashById = new Map<string, string>()
  const hashesByBot = new Map<string, Set<string>>()
  const unsavedUse = new Set<string>()

  const add = (entry: Entry) => {
    entries.set(entry.hash, entry)
    const hashes = hashesByBot.get(entry.botKey) ?? new Set<string>()
    hashes.add(entry.hash)
    hashesByBot.set(entry.botKey, hashes)
    if (entry.session) hashById.set(entry.session.sessionId, entry.hash)
  }
  const drop = (entry: Entry) => {
    entries.delete(entry.hash)
    unsavedUse.delete(entry.hash)
    if (entry.session) hashById.delete(entry.session.sessionId)
    const hashes = hashesByBot.get(entry.botKey)
    hashes?.delete(entry.hash)
    if (hashes?.size === 0) hashesByBot.delete(entry.botKey)
  }
  const toRecord = ({ hash, label, botKey, botId, workerId, createdAt, lastUsedAt }: Entry): SessionRecord => ({
    label,
    handle: hash.slice(0, SESSION_HANDLE_LENGTH),
    botKey,
    botId,
    workerId,
    createdAt,
    lastUsedAt,
  })
  const toSession = (entry: Entry): Session =>
    entry.session ?? {
      sessionId: '',
      botKey: entry.botKey,
      workerId: entry.workerId,
      botId: entry.botId,
      createdAt: entry.createdAt,
    }

  const toEnded = (entry: Entry): EndedSession => ({ ...toRecord(entry), sessionId: entry.session?.sessionId ?? '' })

  /** Finds the session and marks it used (memory only). */
  const use = (sessionId: string): Session | undefined => {
    const known = hashById.get(sessionId)
    let entry = known === undefined ? undefined : entries.get(known)
    if (!entry) {
      const hash = sha256Hex(sessionId)
      entry = entries.get(hash)
      if (!entry) return undefined
      const { botKey, workerId, botId, createdAt } = entry
      entry.session = { sessionId, botKey, workerId, botId, createdAt }
      hashById.set(sessionId, hash)
    }
    entry.lastUsedAt = now()
    unsavedUse.add(entry.hash)
    return entry.session
  }

  const removeAll = async (doomed: Entry[]) => {
    if (doomed.length === 0) return
    await persistence.remove(doomed.map((entry) => entry.hash))
    for (const entry of doomed) drop(entry)
  }

  for (const row of options.restored) add({ ...row })

  return {
    async create(session) {
      const at = now()
      const entry: Entry = {
        hash: sha256Hex(session.sessionId),
        label: session.sessionId.slice(0, SESSION_LABEL_LENGTH),
        botKey: session.botKey,
        botId: session.botId,
        workerId: session.workerId,
        createdAt: session.createdAt,
        lastUsedAt: at,
      }
      await persistence.insert(entry)
      add({ ...entry, session })
    },
    get: async (sessionId) => use(sessionId),
    peek: use,
    async delete(sessionId) {
      const hash = hashById.get(sessionId) ?? sha256Hex(sessionId)
      const entry = entries.get(hash)
      if (!entry) return undefined
      const session = entry.session ?? { ...toSession(entry), sessionId }
      await removeAll([entry])
      return session
    },
    countForBot: async (botKey) => hashesByBot.get(botKey)?.size ?? 0,
    async deleteForBot(botKey) {
      const doomed = [...(hashesByBot.get(botKey) ?? [])].flatMap((hash) => entries.get(hash) ?? [])
      await removeAll(doomed)
      return doomed.map(toSession)
    },
    list: async () =>
      [...entries.values()]
        .map(toRecord)
        .sort(
          (a, b) => a.createdAt - b.createdAt || a.label.localeCompare(b.label) || a.botKey.localeCompare(b.botKey),
        ),
    async deleteByHandle(handle) {
      // an admin's request, rare: a scan beats an index kept up on every login
      const entry =
        handle.length === SESSION_HANDLE_LENGTH
          ? [...entries.values()].find((candidate) => candidate.hash.startsWith(handle))
          : undefined
      if (!entry) return undefined
      await removeAll([entry])
      return toEnded(entry)
    },
    async expireIdle(idleMs) {
      if (idleMs === 0) return []
      const cutoff = now() - idleMs
      const doomed = [...entries.values()].filter((entry) => entry.lastUsedAt < cutoff)
      await removeAll(doomed)
      return doomed.map(toEnded)
    },
    async flush() {
      if (unsavedUse.size === 0) return
      const batch = [...unsavedUse].flatMap((hash) => {
        const entry = entries.get(hash)
        return entry ? [{ hash, lastUsedAt: entry.lastUsedAt }] : []
      })
      unsavedUse.clear()
      try {
        await persistence.writeLastUsed(batch)
      } catch (err) {
        for (const { hash } of batch) if (entries.has(hash)) unsavedUse.add(hash) // retried with the next batch
        throw err
      }
    },
  }
}
