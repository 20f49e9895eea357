/**
 * The one shape of a live event, shared by the SSE stream, webhooks and (later) the store. The gateway assigns
 * `id` (monotonic per bot, surviving worker restarts); workers never do. Events are keyed by the bot's Discord id,
 * so a bot whose token was reset keeps its event ids, webhooks and idempotency keys.
 */

/** Gateway dispatches a worker forwards, named as discord.js names its events. */
export const DISCORD_EVENT_TYPES = [
  'messageCreate',
  'messageUpdate',
  'messageDelete',
  'messageDeleteBulk',
  'messageReactionAdd',
  'messageReactionRemove',
  'guildMemberAdd',
  'guildMemberRemove',
  'guildMemberUpdate',
  'channelCreate',
  'channelUpdate',
  'channelDelete',
  'guildCreate',
  'guildDelete',
  'typingStart',
] as const

/** The bot's own lifecycle, told by the gateway (the supervisor sees these, not Discord). */
export const LIFECYCLE_EVENT_TYPES = ['ready', 'reconnecting', 'resumed', 'restarting', 'failed'] as const

export const EVENT_TYPES = [...DISCORD_EVENT_TYPES, ...LIFECYCLE_EVENT_TYPES] as const

export type DiscordEventType = (typeof DISCORD_EVENT_TYPES)[number]
export type LifecycleEventType = (typeof LIFECYCLE_EVENT_TYPES)[number]
export type EventType = (typeof EVENT_TYPES)[number]

export const isEventType = (value: string): value is EventType => (EVENT_TYPES as readonly string[]).includes(value)

export type BotEvent = {
  /** Monotonic per bot, from 1; assigned by the gateway. */
  id: number
  type: EventType
  /** The bot's Discord user id. */
  botId: string
  guildId?: string
  channelId?: string
  /** ISO 8601: when the worker received the dispatch (lifecycle events: when the gateway saw the change). */
  at: string
  data: Record<string, unknown>
}

/** An event and its JSON, serialized once by the gateway: every reader and webhook sends these bytes. */
export type PublishedEvent = { event: BotEvent; json: string }

/** Where live events are published, per bot. SSE streams and webhook dispatchers subscribe here. */
export interface EventFeed {
  /** Called synchronously for each new event of the bot, in id order. Returns what unsubscribes. */
  subscribe(botId: string, listener: (published: PublishedEvent) => void): () => void
}
