import type {
  APIChannel,
  APIGuild,
  APIPartialEmoji,
  APIUser,
  GatewayGuildMemberRemoveDispatchData,
  GatewayMessageDeleteBulkDispatchData,
  GatewayMessageDeleteDispatchData,
  GatewayMessageReactionAddDispatchData,
  GatewayMessageReactionRemoveDispatchData,
  GatewayTypingStartDispatchData,
} from 'discord-api-types/v10'
import { CHANNEL_TYPE_NAMES } from './shapes.ts'

/**
 * Event data built from Discord's raw dispatches, in the API's camelCase. Messages and members reuse the REST
 * shapes (shapes.ts); channels and guilds mirror toChannel and toGuild, which read discord.js structures.
 */

export const toEventUser = (user: APIUser) => ({
  id: user.id,
  username: user.username,
  globalName: user.global_name ?? null,
  avatar: user.avatar,
  bot: user.bot === true,
})

export const toEventChannel = (channel: APIChannel) => ({
  id: channel.id,
  name: 'name' in channel ? (channel.name ?? '') : '',
  type: CHANNEL_TYPE_NAMES[channel.type] ?? 'unknown',
  parentId: 'parent_id' in channel ? (channel.parent_id ?? null) : null,
  position: 'position' in channel ? (channel.position ?? 0) : 0,
  topic: 'topic' in channel ? (channel.topic ?? null) : null,
  nsfw: 'nsfw' in channel ? Boolean(channel.nsfw) : false,
})

export const toEventGuild = (guild: APIGuild & { member_count?: number }) => ({
  id: guild.id,
  name: guild.name,
  icon: guild.icon,
  memberCount: guild.member_count ?? guild.approximate_member_count ?? 0,
})

export const toDeletedMessage = (d: GatewayMessageDeleteDispatchData) => ({ id: d.id, channelId: d.channel_id })

export const toDeletedMessages = (d: GatewayMessageDeleteBulkDispatchData) => ({ ids: d.ids, channelId: d.channel_id })

const toEmoji = (emoji: APIPartialEmoji) => ({
  id: emoji.id ?? null,
  name: emoji.name ?? null,
  animated: emoji.animated === true,
})

export const toReaction = (d: GatewayMessageReactionAddDispatchData | GatewayMessageReactionRemoveDispatchData) => ({
  messageId: d.message_id,
  channelId: d.channel_id,
  userId: d.user_id,
  emoji: toEmoji(d.emoji),
  burst: d.burst === true,
  ...('message_author_id' in d && d.message_author_id ? { messageAuthorId: d.message_author_id } : {}),
})

export const toRemovedMember = (d: GatewayGuildMemberRemoveDispatchData) => ({ user: toEventUser(d.user) })

export const toTyping = (d: GatewayTypingStartDispatchData) => ({
  channelId: d.channel_id,
  userId: d.user_id,
  // Discord sends unix seconds; the API speaks ISO 8601 everywhere
  startedAt: new Date(d.timestamp * 1000).toISOString(),
})
