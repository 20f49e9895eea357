import { channelPermissions, hasPermission, Permission } from '../permissions.ts'
import type { ChannelRecord, GuildRecord, MessageRecord } from '../world/types.ts'
import type { RestContext } from './context.ts'
import { apiErrors } from './errors.ts'

/** The lookups every route starts with; the 403s come from membership and computed permissions, not lists. */

export function guildFor(ctx: RestContext, guildId: string): GuildRecord {
  const guild = ctx.world.guilds.get(guildId)
  if (!guild) throw apiErrors.unknownGuild()
  if (!guild.members.has(ctx.bot.user.id)) throw apiErrors.missingAccess()
  return guild
}

export interface ChannelAccess {
  guild: GuildRecord
  channel: ChannelRecord
  permissions: bigint
}

export function channelFor(ctx: RestContext, channelId: string): ChannelAccess {
  const channel = ctx.world.channels.get(channelId)
  if (!channel) throw apiErrors.unknownChannel()
  const guild = ctx.world.guilds.get(channel.guildId)
  if (!guild?.members.has(ctx.bot.user.id)) throw apiErrors.missingAccess()
  const permissions = channelPermissions(guild, channel, ctx.bot.user.id)
  if (!hasPermission(permissions, Permission.ViewChannel)) throw apiErrors.missingAccess()
  return { guild, channel, permissions }
}

export function messageFor(ctx: RestContext, channelId: string, messageId: string): MessageRecord {
  const message = ctx.world.messagesOf(channelId).find((m) => m.id === messageId)
  if (!message) throw apiErrors.unknownMessage()
  return message
}
