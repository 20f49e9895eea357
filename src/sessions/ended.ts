import type { SessionEndReason } from '../events/sse.ts'
import type { Session, SessionStore } from './store.ts'

export type SessionEnd = Extract<SessionEndReason, 'logged_out' | 'bot_removed' | 'revoked' | 'expired'>

/**
 * The store, telling `onEnded` about every session it removes: the one place a session ends, whichever route
 * ended it (logout, an admin removing the bot or revoking a session, idle expiry, a request finding its bot
 * gone), so what hangs on a session (its live event streams) cannot be forgotten by one of them.
 */
export function notifyingEnded(
  store: SessionStore,
  onEnded: (sessions: readonly Session[], why: SessionEnd) => void,
): SessionStore {
  // each method named: a store built as a class would lose its prototype's methods to a spread
  return {
    create: (session) => store.create(session),
    get: (sessionId) => store.get(sessionId),
    peek: (sessionId) => store.peek(sessionId),
    countForBot: (botKey) => store.countForBot(botKey),
    list: () => store.list(),
    async delete(sessionId) {
      const ended = await store.delete(sessionId)
      if (ended) onEnded([ended], 'logged_out')
      return ended
    },
    async deleteForBot(botKey) {
      const ended = await store.deleteForBot(botKey)
      if (ended.length > 0) onEnded(ended, 'bot_removed')
      return ended
    },
    async deleteByHandle(handle) {
      const ended = await store.deleteByHandle(handle)
      if (ended) onEnded([ended], 'revoked')
      return ended
    },
    async expireIdle(idleMs) {
      const ended = await store.expireIdle(idleMs)
      if (ended.length > 0) onEnded(ended, 'expired')
      return ended
    },
  }
}
