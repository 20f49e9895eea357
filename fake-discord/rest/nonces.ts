import { timestampOf } from '../snowflake.ts'
import type { MessageRecord, WorldState } from '../world/types.ts'

/**
 * How long Discord remembers a nonce for `enforce_nonce`. Its docs say "the past few minutes" without a
 * number; the fake takes five, far longer than any retry a test or the service makes.
 */
export const NONCE_WINDOW_MS = 5 * 60_000

/** The messages created with `enforce_nonce`, by author and nonce, for as long as Discord would match them. */
export interface NonceBook {
  /** The message `authorId` created with `nonce` within the window, if it still exists. */
  find(world: WorldState, authorId: string, nonce: string | number): MessageRecord | undefined
  remember(message: MessageRecord): void
}

export function createNonceBook(now: () => number = Date.now, windowMs = NONCE_WINDOW_MS): NonceBook {
  // insertion order is creation order, so the expired entries are always at the front
  const recent = new Map<string, MessageRecord>()
  // 123 and "123" are one nonce: Discord echoes a nonce back as the type it was sent, but matches its value
  const keyOf = (authorId: string, nonce: string | number) => `${authorId}:${String(nonce)}`
  const expired = (message: MessageRecord) => now() - timestampOf(message.id) > windowMs
  const forgetExpired = () => {
    for (const [key, message] of recent) {
      if (!expired(message)) return
      recent.delete(key)
    }
  }
  return {
    find(world, authorId, nonce) {
      forgetExpired()
      const message = recent.get(keyOf(authorId, nonce))
      return message && stillExists(world, message) ? message : undefined
    },
    remember(message) {
      if (message.nonce === null) return
      const key = keyOf(message.authorId, message.nonce)
      recent.delete(key) // re-inserted at the back, in creation order
      recent.set(key, message)
    },
  }
}

/** A deleted message is not returned: the nonce then creates a new one. Recent messages sit at the end. */
function stillExists(world: WorldState, message: MessageRecord): boolean {
  const list = world.messagesOf(message.channelId)
  for (let i = list.length - 1; i >= 0; i--) if (list[i] === message) return true
  return false
}
