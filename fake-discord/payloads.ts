import type {
  APIEmbed,
  GuildMemberFlags,
  GuildSystemChannelFlags,
  MessageFlags,
  RoleFlags,
  UserFlags,
  APIChannel,
  APIGuild,
  APIGuildMember,
  APIMessage,
  APIRole,
  APIUser,
  RESTAPIPartialCurrentUserGuild,
} from 'discord-api-types/v10'
import { guildPermissions } from './permissions.ts'
import { timestampOf } from './snowflake.ts'
import type {
  ChannelRecord,
  GuildRecord,
  MemberRecord,
  MessageRecord,
  RoleRecord,
  UserRecord,
  World,
} from './world/types.ts'

/** Shapes as Discord's API reference documents them; discord-api-types checks the field names and types. */

export function toApiUser(user: UserRecord): APIUser {
  return {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.globalName,
    avatar: user.avatar,
    ...(user.bot ? { bot: true } : {}),
    public_flags: 0 as UserFlags,
    flags: 0 as UserFlags,
    banner: null,
    accent_color: null,
    avatar_decoration_data: null,
    collectibles: null,
    primary_guild: null,
  }
}

export function toApiRole(role: RoleRecord): APIRole {
  return {
    id: role.id,
    name: role.name,
    color: role.color,
    colors: { primary_color: role.color, secondary_color: null, tertiary_color: null },
    hoist: role.hoist,
    icon: null,
    unicode_emoji: null,
    position: role.position,
    permissions: role.permissions.toString(),
    managed: role.managed,
    mentionable: role.mentionable,
    flags: 0 as RoleFlags,
    ...(role.botId ? { tags: { bot_id: role.botId } } : {}),
  }
}

export function toApiChannel(channel: ChannelRecord): APIChannel {
  const base = {
    id: channel.id,
    guild_id: channel.guildId,
    name: channel.name,
    position: channel.position,
    flags: 0,
    parent_id: channel.parentId,
    nsfw: false,
    permission_overwrites: channel.overwrites.map((o) => ({
      id: o.id,
      type: o.type,
      allow: o.allow.toString(),
      deny: o.deny.toString(),
    })),
  }
  switch (channel.type) {
    case 0:
      return {
        ...base,
        type: 0,
        topic: channel.topic,
        last_message_id: channel.lastMessageId,
        rate_limit_per_user: 0,
        default_thread_rate_limit_per_user: 0,
        last_pin_timestamp: null,
      }
    case 2:
      return {
        ...base,
        type: 2,
        bitrate: 64_000,
        user_limit: 0,
        rtc_region: null,
        last_message_id: channel.lastMessageId,
        rate_limit_per_user: 0,
      }
    case 4:
      return { ...base, type: 4, parent_id: null } // categories cannot nest
  }
}

export function toApiMember(world: World, member: MemberRecord): APIGuildMember {
  const user = world.users.get(member.userId)
  if (!user) throw new Error(`member ${member.userId} has no user`)
  return { ...toPartialMember(member), user: toApiUser(user) }
}

/** The member object without `user`, as MESSAGE_CREATE and MESSAGE_REACTION_ADD carry it. */
export function toPartialMember(member: MemberRecord): Omit<APIGuildMember, 'user'> {
  return {
    avatar: null,
    banner: null,
    communication_disabled_until: null,
    flags: 0 as GuildMemberFlags,
    joined_at: member.joinedAt,
    nick: member.nick,
    pending: false,
    premium_since: null,
    roles: [...member.roles],
    deaf: false,
    mute: false,
  }
}

export function toApiGuild(guild: GuildRecord, counts?: { members: number; presences: number }): APIGuild {
  return {
    id: guild.id,
    name: guild.name,
    icon: guild.icon,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: guild.ownerId,
    region: 'deprecated',
    afk_channel_id: null,
    afk_timeout: 300,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: 1,
    default_message_notifications: 1,
    explicit_content_filter: 2,
    roles: guild.roles.map(toApiRole),
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: guild.systemChannelId,
    system_channel_flags: 0 as GuildSystemChannelFlags,
    rules_channel_id: null,
    max_presences: null,
    max_members: 500_000,
    vanity_url_code: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: 'en-US' as APIGuild['preferred_locale'],
    public_updates_channel_id: null,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    hub_type: null,
    incidents_data: null,
    ...(counts ? { approximate_member_count: counts.members, approximate_presence_count: counts.presences } : {}),
  }
}

export function toPartialGuild(
  guild: GuildRecord,
  userId: string,
  counts?: { members: number; presences: number },
): RESTAPIPartialCurrentUserGuild {
  return {
    id: guild.id,
    name: guild.name,
    icon: guild.icon,
    banner: null,
    owner: guild.ownerId === userId,
    permissions: guildPermissions(guild, userId).toString(),
    features: [],
    ...(counts ? { approximate_member_count: counts.members, approximate_presence_count: counts.presences } : {}),
  }
}

export function countsOf(world: World, guild: GuildRecord): { members: number; presences: number } {
  let presences = 0
  for (const userId of guild.members.keys()) if (world.onlineUserIds.has(userId)) presences++
  return { members: guild.members.size, presences }
}

/** `canReadContent`: Discord blanks content, embeds and attachments for apps without Message Content. */
export function toApiMessage(world: World, message: MessageRecord, canReadContent: boolean): APIMessage {
  const author = world.users.get(message.authorId)
  if (!author) throw new Error(`message ${message.id} has no author`)
  // Discord pings (and lists) only what allowed_mentions lets through; none sent: everything in the content
  const allowed = message.allowedMentions
  const lets = (kind: 'everyone' | 'roles' | 'users', id?: string) =>
    allowed === null ||
    allowed.parse.includes(kind) ||
    (id !== undefined && (kind === 'roles' ? allowed.roles : allowed.users).includes(id))
  // a reply pings the author it answers unless allowed_mentions says replied_user false (sent without it: pinged)
  const repliedAuthorId = message.replyTo && (allowed === null || allowed.repliedUser) ? [message.replyTo.authorId] : []
  const mentions = [...new Set([...mentionedUserIds(message.content), ...repliedAuthorId])].flatMap((id) => {
    const user = id === repliedAuthorId[0] || lets('users', id) ? world.users.get(id) : undefined
    return user ? [toApiUser(user)] : []
  })
  const reactions = [...message.reactions.values()]
    .filter((r) => r.userIds.size > 0)
    .map((r) => ({
      emoji: r.emoji,
      count: r.userIds.size,
      count_details: { burst: 0, normal: r.userIds.size },
      me: false,
      me_burst: false,
      burst_colors: [],
    }))
  return {
    id: message.id,
    channel_id: message.channelId,
    type: message.replyTo ? 19 : 0, // 19: Reply
    author: toApiUser(author),
    content: canReadContent ? message.content : '',
    timestamp: new Date(timestampOf(message.id)).toISOString(),
    edited_timestamp: message.editedTimestamp,
    tts: false,
    mention_everyone: /@(?:everyone|here)/.test(message.content) && lets('everyone'),
    mentions,
    mention_roles: mentionedRoleIds(message.content).filter((id) => lets('roles', id)),
    attachments: [],
    embeds: canReadContent ? message.embeds.map((e) => ({ type: 'rich', ...e }) as APIEmbed) : [],
    pinned: false,
    flags: 0 as MessageFlags,
    components: [],
    ...(reactions.length > 0 ? { reactions } : {}),
    ...(message.nonce !== null ? { nonce: message.nonce } : {}),
    ...(message.replyTo ? replyFields(world, message, message.replyTo.messageId, canReadContent) : {}),
  }
}

/**
 * A reply's message_reference, and the message it answers as `referenced_message` (null once deleted; one level
 * deep, as Discord nests it: the answered message carries no referenced_message of its own).
 */
function replyFields(world: World, message: MessageRecord, repliedId: string, canReadContent: boolean) {
  const replied = world.messagesOf(message.channelId).find((m) => m.id === repliedId)
  const reference = { type: 0, message_id: repliedId, channel_id: message.channelId, guild_id: message.guildId }
  if (!replied) return { message_reference: reference, referenced_message: null }
  const { referenced_message: _nested, ...answered } = toApiMessage(world, replied, canReadContent) as APIMessage & {
    referenced_message?: unknown
  }
  return { message_reference: reference, referenced_message: answered }
}

/** `me` is per viewer, so it is filled in after building the shared message. */
export function withOwnReactions(payload: APIMessage, message: MessageRecord, viewerId: string): APIMessage {
  if (!payload.reactions) return payload
  const mine = [...message.reactions.values()].filter((r) => r.userIds.size > 0).map((r) => r.userIds.has(viewerId))
  return { ...payload, reactions: payload.reactions.map((r, i) => ({ ...r, me: mine[i] ?? false })) }
}

export function mentionedUserIds(content: string): string[] {
  return [...new Set([...content.matchAll(/<@!?(\d{17,20})>/g)].map((m) => m[1] ?? ''))].filter(Boolean)
}

function mentionedRoleIds(content: string): string[] {
  return [...new Set([...content.matchAll(/<@&(\d{17,20})>/g)].map((m) => m[1] ?? ''))].filter(Boolean)
}
