import type { APIMessage } from 'discord-api-types/v10'
import type { NewestRun, Page } from '../src/contract.ts'
import { cutNewestRun, toNewestRun } from '../src/discord/newest-messages.ts'
import { toMessage } from './shapes.ts'

/** Discord's page size, and how many of a channel's newest messages the worker keeps. */
export const RECENT_MESSAGES = 100
/** Channels kept at most (least recently read dropped first): idle bots hold nothing. */
const MAX_CHANNELS = 64
/** A backstop on staleness should an event be missed (a gateway gap is also handled by clear()). */
const ENTRY_TTL_MS = 60_000

type Message = ReturnType<typeof toMessage>
type Entry = {
  guildId: string | null
  /** Newest first, contiguous from the channel's newest message. */
  messages: Message[]
  /** True when Discord had fewer than we asked for: the channel holds no older messages. */
  complete: boolean
  filledAt: number
  /** The messages serialized once, cut to each limit read, until the next change. */
  run: NewestRun | null
}

export type MessageCache = ReturnType<typeof createMessageCache>

/**
 * A channel's newest messages, filled by the first read and kept fresh by gateway events, so repeated
 * reads cost one RPC and no Discord call (Discord allows ~50 requests/s per bot; readers can ask more).
 */
export function createMessageCache(
  onChange: (channelId: string | null) => void = () => {},
  now: () => number = Date.now,
) {
  const entries = new Map<string, Entry>()

  const live = (channelId: string): Entry | undefined => {
    const entry = entries.get(channelId)
    if (!entry) return undefined
    if (now() - entry.filledAt > ENTRY_TTL_MS) {
      drop(channelId)
      return undefined
    }
    return entry
  }
  const changed = (channelId: string, entry: Entry) => {
    entry.run = null
    onChange(channelId)
  }
  const drop = (channelId: string) => {
    if (entries.delete(channelId)) onChange(channelId)
  }

  return {
    /** The newest `limit` messages, when the cache can answer exactly what Discord would. */
    read(channelId: string, limit: number): Page | undefined {
      const entry = live(channelId)
      if (!entry || limit > RECENT_MESSAGES) return undefined
      entry.run ??= toNewestRun(entry.messages, entry.complete)
      const page = cutNewestRun(entry.run, limit)
      if (!page) return undefined
      entries.delete(channelId) // re-insert: the map's order is the LRU order
      entries.set(channelId, entry)
      const freshForMs = ENTRY_TTL_MS - (now() - entry.filledAt)
      // the whole run goes along: the gateway then answers every other limit without asking
      return { ...page, freshForMs, run: entry.run }
    },
    /** The newest page Discord answered (newest first); `last`: Discord said no older message exists. */
    fill(channelId: string, guildId: string | null, page: APIMessage[], last: boolean) {
      const messages = page.slice(0, RECENT_MESSAGES).map(toMessage)
      drop(channelId)
      const complete = last && page.length <= RECENT_MESSAGES
      entries.set(channelId, { guildId, messages, complete, filledAt: now(), run: null })
      if (entries.size > MAX_CHANNELS) drop(entries.keys().next().value!)
    },
    created(message: APIMessage) {
      const entry = live(message.channel_id)
      // a RESUME replays from the last sequence the gateway heard of, which may be a little behind
      if (!entry || entry.messages.some((cached) => cached.id === message.id)) return
      entry.messages.unshift(toMessage(message))
      if (entry.messages.length > RECENT_MESSAGES) {
        entry.messages.length = RECENT_MESSAGES
        entry.complete = false
      }
      changed(message.channel_id, entry)
    },
    updated(message: APIMessage) {
      const entry = live(message.channel_id)
      const index = entry?.messages.findIndex((cached) => cached.id === message.id) ?? -1
      if (!entry || index < 0) return
      entry.messages[index] = toMessage(message)
      changed(message.channel_id, entry)
    },
    deleted(channelId: string, messageIds: readonly string[]) {
      const entry = live(channelId)
      if (!entry) return
      const gone = new Set(messageIds)
      // what stays is still the newest run; a read past its end misses and refills from Discord
      entry.messages = entry.messages.filter((message) => !gone.has(message.id))
      changed(channelId, entry)
    },
    /** Who may read a channel may have changed (overwrites, roles, the bot's member): forget it. */
    dropChannel: drop,
    dropGuild(guildId: string) {
      for (const [channelId, entry] of entries) if (entry.guildId === guildId) drop(channelId)
    },
    /** A new gateway session: events in the gap are lost, so nothing cached can be trusted. */
    clear() {
      entries.clear()
      onChange(null)
    },
    size: () => entries.size,
  }
}
