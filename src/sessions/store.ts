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
}

export function createMemorySessionStore(): SessionStore {
  const sessions = new Map<string, Session>()
  const idsByBot = new Map<string, Set<string>>()

  return {
    async create(session) {
      sessions.set(session.sessionId, session)
      const ids = idsByBot.get(session.botKey) ?? new Set<string>()
      ids.add(session.sessionId)
      idsByBot.set(session.botKey, ids)
    },
    async get(sessionId) {
      return sessions.get(sessionId)
    },
    peek: (sessionId) => sessions.get(sessionId),
    async delete(sessionId) {
      const session = sessions.get(sessionId)
      if (!session) return undefined
      sessions.delete(sessionId)
      const ids = idsByBot.get(session.botKey)
      ids?.delete(sessionId)
      if (ids?.size === 0) idsByBot.delete(session.botKey)
      return session
    },
    async countForBot(botKey) {
      return idsByBot.get(botKey)?.size ?? 0
    },
    async deleteForBot(botKey) {
      const ids = [...(idsByBot.get(botKey) ?? [])]
      idsByBot.delete(botKey)
      return ids.flatMap((id) => {
        const session = sessions.get(id)
        sessions.delete(id)
        return session ? [session] : []
      })
    },
  }
}
