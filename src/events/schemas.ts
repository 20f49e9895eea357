import { z } from '@hono/zod-openapi'
import { Channel, Guild, Member, Message, Snowflake } from '../http/schemas.ts'
import { EVENT_TYPES, type EventType } from './types.ts'

/** The documented shape of each live event's `data`, by type: one `components.schemas` entry each. */

const User = z.object({
  id: Snowflake,
  username: z.string(),
  globalName: z.string().nullable(),
  avatar: z.string().nullable(),
  bot: z.boolean(),
})
const Reaction = z.object({
  messageId: Snowflake,
  channelId: Snowflake,
  userId: Snowflake,
  emoji: z.object({
    id: Snowflake.nullable().openapi({ description: 'Set for a custom emoji' }),
    name: z.string().nullable(),
    animated: z.boolean(),
  }),
  burst: z.boolean().openapi({ description: 'A super reaction' }),
  messageAuthorId: Snowflake.optional().openapi({ description: 'Sent by Discord with additions only' }),
})
const Lifecycle = z.object({
  state: z.enum(['starting', 'ready', 'reconnecting', 'restarting', 'failed', 'stopping']),
  reason: z.string(),
})

const DATA: Record<EventType, z.ZodType> = {
  messageCreate: Message,
  messageUpdate: Message,
  messageDelete: z.object({ id: Snowflake, channelId: Snowflake }),
  messageDeleteBulk: z.object({ ids: z.array(Snowflake), channelId: Snowflake }),
  messageReactionAdd: Reaction,
  messageReactionRemove: Reaction,
  guildMemberAdd: Member,
  guildMemberRemove: z.object({ user: User }),
  guildMemberUpdate: Member,
  channelCreate: Channel,
  channelUpdate: Channel,
  channelDelete: Channel,
  guildCreate: Guild,
  guildDelete: z.object({ id: Snowflake }),
  typingStart: z.object({ channelId: Snowflake, userId: Snowflake, startedAt: z.string() }),
  ready: Lifecycle,
  reconnecting: Lifecycle,
  resumed: Lifecycle,
  restarting: Lifecycle,
  failed: Lifecycle,
}

const DESCRIPTIONS: Record<EventType, string> = {
  messageCreate: 'A message was posted where the bot can see it (`content` empty without the MessageContent intent)',
  messageUpdate: 'A message was edited',
  messageDelete: 'A message was deleted',
  messageDeleteBulk: 'Messages were deleted at once',
  messageReactionAdd: 'A reaction was added (needs the GuildMessageReactions intent)',
  messageReactionRemove: 'A reaction was removed (needs the GuildMessageReactions intent)',
  guildMemberAdd: 'Someone joined a guild (GuildMembers intent)',
  guildMemberRemove: 'Someone left or was removed from a guild (GuildMembers intent)',
  guildMemberUpdate: "A member's roles, nickname or avatar changed (GuildMembers intent)",
  channelCreate: 'A channel was created',
  channelUpdate: 'A channel was changed',
  channelDelete: 'A channel was deleted',
  guildCreate: 'The bot joined a guild (not the guilds it loads at login: GET /api/guilds has those)',
  guildDelete: 'The bot left or was removed from a guild (an outage is not told)',
  typingStart: 'Someone started typing (needs the GuildMessageTyping intent)',
  ready:
    'The bot is serving on a new Discord session (first login, or a restart that had to IDENTIFY: what happened meanwhile is not replayed)',
  reconnecting: "Discord's gateway dropped; discord.js is resuming it",
  resumed: 'The bot is serving again on the same Discord session: nothing was missed (Discord replayed the gap)',
  restarting: "The bot's worker crashed and waits out its backoff; events resume (replayed) once it is back",
  failed: 'Too many restarts: the bot stays down until an admin restarts it',
}

const schemaName = (type: EventType) => `${type[0]?.toUpperCase()}${type.slice(1)}Event`

/** One schema per event type: the envelope every event has, with its own `type` and `data`. */
export const EVENT_SCHEMAS = EVENT_TYPES.map((type) => ({
  name: schemaName(type),
  schema: z
    .object({
      id: z.number().int().positive().openapi({ description: 'Monotonic per bot (SSE `id:`, `Last-Event-ID`)' }),
      type: z.literal(type),
      botId: Snowflake,
      guildId: Snowflake.optional(),
      channelId: Snowflake.optional(),
      at: z
        .string()
        .openapi({ description: 'ISO 8601: when the bot received it (lifecycle: when the gateway saw it)' }),
      data: DATA[type],
    })
    .openapi(schemaName(type), { description: DESCRIPTIONS[type] }),
}))
