import type { JsonText, Page, WorkerPush } from '../contract.ts'
import { AppError } from '../errors.ts'

/**
 * The gateway's copy of a bot's guild and channel lists, as bodies the worker serialized and keeps fresh
 * by pushing changes. Serving these needs no RPC and no serialization on the gateway thread.
 */
export type BotCache = {
  apply(push: WorkerPush): void
  /** null until the worker's first snapshot arrived. */
  guilds(): JsonText | null
  /** The channel list of a guild (or of the only guild); throws our 400, or 403 for a guild the bot is not in. */
  channels(guildId: string | null): JsonText | null
  /** Whether the bot is in the guild; null until the worker's first snapshot arrived. */
  inGuild(guildId: string): boolean | null
  /** A channel's newest `limit` messages, as the worker last answered them, while still true. */
  messages(channelId: string, limit: number): Page | null
  keepMessages(channelId: string, limit: number, page: Page): void
}

/**
 * Discord answers 50001 Missing Access for a guild the bot is not in; the bot cannot tell that guild from one
 * that does not exist without a Discord call that would itself count toward the IP's invalid-request ban.
 */
export const notInGuild = () => new AppError(403, 'forbidden', 'Missing access: the bot is not in this guild')

/** Channels whose message pages the gateway keeps per bot (least recently read dropped first). */
const MESSAGE_CHANNELS = 32
type KeptPage = { page: Page; expiresAt: number }

export function createBotCache(): BotCache {
  let guildsBody: JsonText | null = null
  let guildIds: string[] = []
  const channelsByGuild = new Map<string, JsonText>()
  // channel → limit → page. Only pages the worker serves from its own cache, which tells us when they change.
  const messagePages = new Map<string, Map<number, KeptPage>>()

  return {
    apply(push) {
      switch (push.botvisor) {
        case 'guilds':
          guildsBody = push.body
          guildIds = push.guildIds
          return
        case 'channels':
          if (push.body === null) channelsByGuild.delete(push.guildId)
          else channelsByGuild.set(push.guildId, push.body)
          return
        case 'messages':
          if (push.channelId === null) messagePages.clear()
          else messagePages.delete(push.channelId)
          return
        case 'gateway':
        case 'session':
          return
      }
    },
    guilds: () => guildsBody,
    channels(guildId) {
      if (guildsBody === null) return null
      if (guildId === null) {
        const only = guildIds.length === 1 ? guildIds[0] : undefined
        if (only === undefined)
          throw new AppError(400, 'bad_request', `The bot is in ${guildIds.length} guilds: pass guildId`)
        guildId = only
      }
      if (!guildIds.includes(guildId)) throw notInGuild()
      return channelsByGuild.get(guildId) ?? null // not pushed yet: the worker answers
    },
    inGuild: (guildId) => (guildsBody === null ? null : guildIds.includes(guildId)),
    messages(channelId, limit) {
      const kept = messagePages.get(channelId)?.get(limit)
      if (!kept) return null
      if (kept.expiresAt > Date.now()) return kept.page
      messagePages.delete(channelId)
      return null
    },
    keepMessages(channelId, limit, page) {
      if (page.freshForMs === undefined || page.freshForMs <= 0) return
      const pages = messagePages.get(channelId) ?? new Map<number, KeptPage>()
      messagePages.delete(channelId) // re-insert: the map's order is the LRU order
      messagePages.set(channelId, pages)
      pages.set(limit, { page, expiresAt: Date.now() + page.freshForMs })
      if (messagePages.size > MESSAGE_CHANNELS) messagePages.delete(messagePages.keys().next().value!)
    },
  }
}
