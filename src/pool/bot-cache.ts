import type { JsonText, NewestRun, Page, WorkerPush } from '../contract.ts'
import { cutNewestRun } from '../discord/newest-messages.ts'
import { AppError } from '../errors.ts'

/**
 * The gateway's copy of a bot's guild and channel lists, as bodies the worker serialized and keeps fresh by pushing
 * changes, and of the message and member pages the worker said it would tell the changes of. Serving these needs no
 * RPC and no serialization on the gateway thread.
 */
export type BotCache = {
  apply(push: WorkerPush): void
  /** null until the worker's first snapshot arrived. */
  guilds(): JsonText | null
  /** The channel list of a guild (or of the only guild); throws our 400, or 403 for a guild the bot is not in. */
  channels(guildId: string | null): JsonText | null
  /** Whether the bot is in the guild; null until the worker's first snapshot arrived. */
  inGuild(guildId: string): boolean | null
  /** A channel's newest `limit` messages, cut from the run the worker last sent, while still true. */
  messages(channelId: string, limit: number): Page | null
  /** Keeps the run a page from the worker's cache came with (a page without one is not kept). */
  keepMessages(channelId: string, page: Page): void
  /** A page of a guild's members as the worker last answered it, while its events say it still holds. */
  members(query: MemberQuery): Page | null
  /** Keeps a member page the worker said may be kept (freshForMs); others are not kept. */
  keepMembers(query: MemberQuery, page: Page): void
}

export type MemberQuery = { guildId: string; limit: number; after: string | null }

/**
 * Discord answers 50001 Missing Access for a guild the bot is not in; the bot cannot tell that guild from one
 * that does not exist without a Discord call that would itself count toward the IP's invalid-request ban.
 */
export const notInGuild = () => new AppError(403, 'forbidden', 'Missing access: the bot is not in this guild')

/** Channels whose newest messages the gateway keeps per bot (least recently read dropped first). */
const MESSAGE_CHANNELS = 32
/**
 * One run per channel, and the last page cut from it: repeated reads at one limit (the usual client) are then a
 * Map read, and a channel holds at most two bodies whatever the limits asked.
 */
type KeptRun = { run: NewestRun; expiresAt: number; last: { limit: number; page: Page } | null }
/**
 * Member pages the gateway keeps per bot (the one kept longest ago dropped first). A 1 000-member page is ~200 KB,
 * so a bot reading big pages holds at most ~1 MB of them; a bot that reads no members holds nothing.
 */
const MEMBER_PAGES = 4
type KeptMemberPage = { guildId: string; page: Page; expiresAt: number }
const memberPageKey = ({ guildId, limit, after }: MemberQuery) => `${guildId}/${limit}/${after ?? ''}`

export function createBotCache(): BotCache {
  let guildsBody: JsonText | null = null
  let guildIds: string[] = []
  const channelsByGuild = new Map<string, JsonText>()
  // Only runs the worker serves from its own cache, which tells us when they change.
  const messageRuns = new Map<string, KeptRun>()
  const memberPages = new Map<string, KeptMemberPage>()

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
          if (push.channelId === null) messageRuns.clear()
          else messageRuns.delete(push.channelId)
          return
        case 'members':
          for (const [key, kept] of memberPages)
            if (push.guildId === null || kept.guildId === push.guildId) memberPages.delete(key)
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
      const kept = messageRuns.get(channelId)
      if (!kept) return null
      if (kept.expiresAt <= Date.now()) {
        messageRuns.delete(channelId)
        return null
      }
      if (kept.last?.limit === limit) return kept.last.page
      const page = cutNewestRun(kept.run, limit)
      if (page) kept.last = { limit, page }
      return page
    },
    keepMessages(channelId, page) {
      if (!page.run || page.freshForMs === undefined || page.freshForMs <= 0) return
      messageRuns.delete(channelId) // re-insert: the map's order is the LRU order
      messageRuns.set(channelId, { run: page.run, expiresAt: Date.now() + page.freshForMs, last: null })
      if (messageRuns.size > MESSAGE_CHANNELS) messageRuns.delete(messageRuns.keys().next().value!)
    },
    members(query) {
      const key = memberPageKey(query)
      const kept = memberPages.get(key)
      if (!kept) return null
      if (kept.expiresAt <= Date.now()) {
        memberPages.delete(key)
        return null
      }
      return kept.page
    },
    keepMembers(query, page) {
      if (page.freshForMs === undefined || page.freshForMs <= 0) return
      const key = memberPageKey(query)
      memberPages.delete(key) // re-insert: the map's order is the LRU order
      memberPages.set(key, {
        guildId: query.guildId,
        page: { body: page.body, nextCursor: page.nextCursor },
        expiresAt: Date.now() + page.freshForMs,
      })
      if (memberPages.size > MEMBER_PAGES) memberPages.delete(memberPages.keys().next().value!)
    },
  }
}
