import { PermissionFlagsBits as P } from 'discord-api-types/v10'
import type { ChannelRecord, GuildRecord } from './world/types.ts'

export { PermissionFlagsBits as Permission } from 'discord-api-types/v10'

const ALL = Object.values(P).reduce((all, bit) => all | bit, 0n)

/** The @everyone permissions of a new Discord server (as the client creates it). */
export const DEFAULT_EVERYONE_PERMISSIONS =
  P.CreateInstantInvite |
  P.ChangeNickname |
  P.ViewChannel |
  P.SendMessages |
  P.SendMessagesInThreads |
  P.CreatePublicThreads |
  P.CreatePrivateThreads |
  P.EmbedLinks |
  P.AttachFiles |
  P.AddReactions |
  P.UseExternalEmojis |
  P.UseExternalStickers |
  P.ReadMessageHistory |
  P.UseApplicationCommands |
  P.Connect |
  P.Speak |
  P.Stream |
  P.UseVAD |
  P.UseEmbeddedActivities

/** What the usual bot invite asks for; the bot's managed role carries it. */
export const BOT_ROLE_PERMISSIONS =
  P.ViewChannel | P.SendMessages | P.ReadMessageHistory | P.AddReactions | P.EmbedLinks | P.AttachFiles

/** Discord's algorithm (docs: Topics → Permissions → "Permission Hierarchy"): roles first, owner and admin win. */
export function guildPermissions(guild: GuildRecord, userId: string): bigint {
  if (guild.ownerId === userId) return ALL
  const member = guild.members.get(userId)
  if (!member) return 0n
  let base = guild.roles.find((role) => role.id === guild.id)?.permissions ?? 0n
  for (const role of guild.roles) if (member.roles.includes(role.id)) base |= role.permissions
  return base & P.Administrator ? ALL : base
}

/** Then channel overwrites: @everyone, then the member's roles together, then the member. */
export function channelPermissions(guild: GuildRecord, channel: ChannelRecord, userId: string): bigint {
  const base = guildPermissions(guild, userId)
  if (base === ALL) return ALL
  const member = guild.members.get(userId)
  if (!member) return 0n
  let perms = base
  const everyone = channel.overwrites.find((o) => o.type === 0 && o.id === guild.id)
  if (everyone) perms = (perms & ~everyone.deny) | everyone.allow
  let allow = 0n
  let deny = 0n
  for (const o of channel.overwrites) {
    if (o.type === 0 && member.roles.includes(o.id)) {
      allow |= o.allow
      deny |= o.deny
    }
  }
  perms = (perms & ~deny) | allow
  const own = channel.overwrites.find((o) => o.type === 1 && o.id === userId)
  if (own) perms = (perms & ~own.deny) | own.allow
  // without View Channel nothing else in the channel applies (docs: "Implicit Permissions")
  return perms & P.ViewChannel ? perms : 0n
}

export function hasPermission(perms: bigint, bit: bigint): boolean {
  return (perms & bit) === bit
}
