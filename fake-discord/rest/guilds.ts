import { countsOf, toApiChannel, toApiGuild, toApiMember, toApiRole } from '../payloads.ts'
import { compareSnowflakes } from '../snowflake.ts'
import { guildFor } from './access.ts'
import { appHasFlag, ok, type RouteHandler } from './context.ts'
import { apiErrors } from './errors.ts'
import { readBool, readInt, readSnowflake } from './query.ts'

export const getGuild: RouteHandler = (ctx) => {
  const guild = guildFor(ctx, ctx.params.guild_id ?? '')
  return ok(toApiGuild(guild, readBool(ctx.query, 'with_counts') ? countsOf(ctx.world, guild) : undefined))
}

/** Every channel, the ones the bot cannot view included: Discord lists them and the client filters. */
export const getGuildChannels: RouteHandler = (ctx) =>
  ok(guildFor(ctx, ctx.params.guild_id ?? '').channels.map(toApiChannel))

export const getGuildRoles: RouteHandler = (ctx) => ok(guildFor(ctx, ctx.params.guild_id ?? '').roles.map(toApiRole))

/**
 * List Guild Members: sorted by user id, `after` exclusive, limit 1–1000 (default 1). Without the Server Members
 * intent enabled for the application Discord answers 403 Missing Access (50001).
 */
export const getGuildMembers: RouteHandler = (ctx) => {
  const guild = guildFor(ctx, ctx.params.guild_id ?? '')
  const limit = readInt(ctx.query, 'limit', { min: 1, max: 1000, fallback: 1 })
  const after = readSnowflake(ctx.query, 'after') ?? '0'
  if (!appHasFlag(ctx.bot, 'members')) throw apiErrors.missingAccess()
  const page = [...guild.members.values()]
    .filter((member) => compareSnowflakes(member.userId, after) > 0)
    .sort((a, b) => compareSnowflakes(a.userId, b.userId))
    .slice(0, limit)
  return ok(page.map((member) => toApiMember(ctx.world, member)))
}

export const getGuildMember: RouteHandler = (ctx) => {
  const guild = guildFor(ctx, ctx.params.guild_id ?? '')
  const member = guild.members.get(ctx.params.user_id ?? '')
  if (!member) throw apiErrors.unknownMember()
  return ok(toApiMember(ctx.world, member))
}
