import type { APIGuildMember, APIMessage } from 'discord-api-types/v10'
import { ChannelType } from 'discord-api-types/v10'
import type { Guild, GuildBasedChannel } from 'discord.js'

/** The API's public shapes, built from Discord's raw payloads or from the client's cache. */

export const CHANNEL_TYPE_NAMES: Partial<Record<ChannelType, string>> = {
  [ChannelType.GuildText]: 'text',
  [ChannelType.GuildVoice]: 'voice',
  [ChannelType.GuildCategory]: 'category',
  [ChannelType.GuildAnnouncement]: 'announcement',
  [ChannelType.AnnouncementThread]: 'announcement_thread',
  [ChannelType.PublicThread]: 'public_thread',
  [ChannelType.PrivateThread]: 'private_thread',
  [ChannelType.GuildStageVoice]: 'stage',
  [ChannelType.GuildDirectory]: 'directory',
  [ChannelType.GuildForum]: 'forum',
  [ChannelType.GuildMedia]: 'media',
}

export const toGuild = (guild: Guild) => ({
  id: guild.id,
  name: guild.name,
  icon: guild.icon,
  memberCount: guild.memberCount,
})

export const toChannel = (channel: GuildBasedChannel) => ({
  id: channel.id,
  name: channel.name,
  type: CHANNEL_TYPE_NAMES[channel.type] ?? 'unknown',
  parentId: channel.parentId,
  position: 'position' in channel ? channel.position : 0,
  topic: 'topic' in channel ? (channel.topic ?? null) : null,
  nsfw: 'nsfw' in channel ? Boolean(channel.nsfw) : false,
})

export const toMember = (member: APIGuildMember) => ({
  id: member.user.id,
  username: member.user.username,
  globalName: member.user.global_name ?? null,
  displayName: member.nick ?? member.user.global_name ?? member.user.username,
  avatar: member.avatar ?? member.user.avatar ?? null,
  bot: member.user.bot === true,
  roles: member.roles,
  joinedAt: member.joined_at,
})

export const toMessage = (message: APIMessage) => ({
  id: message.id,
  channelId: message.channel_id,
  author: {
    id: message.author.id,
    username: message.author.username,
    globalName: message.author.global_name ?? null,
    avatar: message.author.avatar,
    bot: message.author.bot === true,
  },
  content: message.content,
  timestamp: message.timestamp,
  editedTimestamp: message.edited_timestamp,
  attachments: message.attachments.map((attachment) => ({
    id: attachment.id,
    filename: attachment.filename,
    size: attachment.size,
    url: attachment.url,
    contentType: attachment.content_type ?? null,
  })),
  embedCount: message.embeds.length,
})
