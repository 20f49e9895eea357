/** The fake's data model. Records are plain data; payloads.ts turns them into Discord's JSON shapes. */

/** The four seeded bots, plus `bench-0…` when `startFakeDiscord({ extraBots })` asks for more (the benchmark's). */
export type SeededBotName = 'alpha' | 'beta' | 'gamma' | 'solo'
export type BotName = SeededBotName | `bench-${number}`
export const BOT_NAMES: readonly BotName[] = ['alpha', 'beta', 'gamma', 'solo']

export interface UserRecord {
  readonly id: string
  readonly username: string
  readonly globalName: string | null
  readonly avatar: string | null
  readonly bot: boolean
}

export interface BotRecord {
  readonly name: BotName
  readonly user: UserRecord
  readonly applicationId: string
  readonly applicationName: string
  /** Application flags as GET /applications/@me reports them (privileged intents are flags there). */
  readonly applicationFlags: number
  readonly token: string
  readonly purpose: string
}

export interface RoleRecord {
  readonly id: string
  readonly name: string
  readonly color: number
  readonly hoist: boolean
  readonly position: number
  readonly permissions: bigint
  readonly managed: boolean
  readonly mentionable: boolean
  readonly botId?: string // the integration role Discord creates when a bot joins
}

export interface OverwriteRecord {
  readonly id: string
  readonly type: 0 | 1 // 0 role, 1 member
  readonly allow: bigint
  readonly deny: bigint
}

export interface ChannelRecord {
  readonly id: string
  readonly guildId: string
  readonly type: 0 | 2 | 4 // text, voice, category
  readonly name: string
  readonly position: number
  readonly parentId: string | null
  readonly topic: string | null
  readonly overwrites: readonly OverwriteRecord[]
  lastMessageId: string | null
}

export interface MemberRecord {
  readonly userId: string
  readonly roles: readonly string[] // never contains the @everyone role, as Discord's member objects
  readonly joinedAt: string
  readonly nick: string | null
}

export interface GuildRecord {
  readonly id: string
  readonly name: string
  readonly icon: string | null
  readonly ownerId: string
  readonly roles: readonly RoleRecord[]
  readonly channels: readonly ChannelRecord[]
  readonly members: Map<string, MemberRecord>
  readonly systemChannelId: string | null
}

export interface ReactionRecord {
  readonly emoji: { readonly id: string | null; readonly name: string }
  readonly userIds: Set<string>
}

/** A Create Message's `allowed_mentions`, as sent (docs → Resources → Message → Allowed Mentions Object). */
export interface AllowedMentions {
  readonly parse: readonly ('everyone' | 'roles' | 'users')[]
  readonly roles: readonly string[]
  readonly users: readonly string[]
  readonly repliedUser: boolean
}

export interface MessageRecord {
  readonly id: string
  readonly channelId: string
  readonly guildId: string
  readonly authorId: string
  content: string
  embeds: readonly Record<string, unknown>[]
  editedTimestamp: string | null
  readonly nonce: string | number | null
  /** null: the request sent none, so Discord pinged everything its content mentions. */
  readonly allowedMentions: AllowedMentions | null
  readonly reactions: Map<string, ReactionRecord> // keyed by emoji key ("name" or "name:id")
  /** A reply: the message it answers (in the same channel) and that message's author, pinged per allowed_mentions. */
  readonly replyTo?: { readonly messageId: string; readonly authorId: string } | null
}

export interface WorldIds {
  readonly bigGuild: string
  readonly partialGuild: string
  readonly smallGuild: string
  readonly soloGuild: string
  readonly categoryChannel: string
  readonly generalChannel: string
  readonly manyMessagesChannel: string
  readonly hiddenChannel: string
  readonly readOnlyChannel: string
  readonly voiceChannel: string
  readonly partialGeneralChannel: string
  readonly smallGeneralChannel: string
  readonly soloGeneralChannel: string
  readonly moderatorRole: string
  readonly ownerUser: string // a human who owns every guild
  readonly humanUser: string // a human member of every guild, the default author of control messages
  readonly outsiderUser: string // a human in no guild, for addMember
}

/** The read-only view handed to tests. */
export interface World {
  readonly seed: number
  readonly ids: WorldIds
  readonly bots: Readonly<Record<SeededBotName, BotRecord> & Record<`bench-${number}`, BotRecord>>
  readonly users: ReadonlyMap<string, UserRecord>
  readonly guilds: ReadonlyMap<string, GuildRecord>
  readonly channels: ReadonlyMap<string, ChannelRecord>
  /** Messages of a channel, oldest first. */
  messagesOf(channelId: string): readonly MessageRecord[]
  /** Users with a seeded online presence (Discord sends presences only for them). */
  readonly onlineUserIds: ReadonlySet<string>
}

/** The mutable state behind the view; only mutations.ts and the seed write to it. */
export interface WorldState extends World {
  readonly users: Map<string, UserRecord>
  readonly guilds: Map<string, GuildRecord>
  readonly channels: Map<string, ChannelRecord>
  readonly messages: Map<string, MessageRecord[]>
  readonly onlineUserIds: Set<string>
  readonly outdatedTokens: ReadonlyMap<string, BotName> // tokens that were reset: token-shaped, now refused
  readonly secret: string
}
