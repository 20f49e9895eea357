import { createIndexedSessionStore, KEEPS_NOTHING } from '../store/session-store.ts'
import type { EndedSession, SessionRecord } from '../store/types.ts'

/** A logged-in client's handle on one bot. `botKey` names the bot's worker without holding its token. */
export type Session = {
  sessionId: string
  botKey: string
  /** The bot instance whose lease this session holds (see BotPool.acquire). */
  workerId: string
  botId: string
  createdAt: number
}

/**
 * Where sessions live. Async so a shared store (Redis, for several gateway nodes) can sit behind the
 * same interface as the in-memory one.
 */
export interface SessionStore {
  create(session: Session): Promise<void>
  get(sessionId: string): Promise<Session | undefined>
  /**
   * The session if this node can tell without waiting (in memory, or a local copy of a shared store), else
   * undefined. Lets the hottest reads answer on the request's own tick.
   */
  peek(sessionId: string): Session | undefined
  /** Returns the removed session, if there was one. */
  delete(sessionId: string): Promise<Session | undefined>
  countForBot(botKey: string): Promise<number>
  /** Removes every session of a bot (its token was revoked, or an admin stopped it). */
  deleteForBot(botKey: string): Promise<Session[]>
  /** Every session, by label and handle (never its id), oldest first: the admin list. */
  list(): Promise<SessionRecord[]>
  /** Removes the session an admin named by its handle (SessionRecord.handle). */
  deleteByHandle(handle: string): Promise<EndedSession | undefined>
  /** Removes every session unused for longer than `idleMs` (0: never) and returns them. */
  expireIdle(idleMs: number): Promise<EndedSession[]>
}

/**
 * The in-memory store: the durable store's index with nothing behind it (src/store/session-store.ts), so the
 * admin list, revocation and idle expiry behave the same in memory and on disk.
 */
export function createMemorySessionStore(now: () => number = Date.now): SessionStore {
  return createIndexedSessionStore({ restored: [], persistence: KEEPS_NOTHING, now })
}
