import type { APIApplication, APIUser, RESTGetAPIGatewayBotResult } from 'discord-api-types/v10'
import { countsOf, toApiUser, toPartialGuild } from '../payloads.ts'
import { compareSnowflakes } from '../snowflake.ts'
import { ok, type RestContext, type RouteHandler } from './context.ts'
import { apiErrors } from './errors.ts'
import { readBool, readInt, readSnowflake } from './query.ts'

const DAY_MS = 86_400_000

export const getGateway: RouteHandler = (ctx) => ok({ url: ctx.gatewayUrl })

export const getGatewayBot: RouteHandler = (ctx) => {
  const result: RESTGetAPIGatewayBotResult = {
    url: ctx.gatewayUrl,
    shards: 1,
    session_start_limit: {
      total: 1000,
      remaining: ctx.sessionStartRemaining(ctx.bot),
      reset_after: DAY_MS - (Date.now() % DAY_MS),
      max_concurrency: 1,
    },
  }
  return ok(result)
}

export const getCurrentUser: RouteHandler = (ctx) => {
  const user: APIUser = {
    ...toApiUser(ctx.bot.user),
    verified: true,
    mfa_enabled: false,
    locale: 'en-US' as APIUser['locale'],
    email: null,
  }
  return ok(user)
}

export const getUser: RouteHandler = (ctx) => {
  const user = ctx.world.users.get(ctx.params.user_id ?? '')
  if (!user) throw apiErrors.unknownUser()
  return ok(toApiUser(user))
}

export const getCurrentApplication: RouteHandler = (ctx) => {
  const { bot, world } = ctx
  const owner = world.users.get(world.ids.ownerUser)
  const application: APIApplication = {
    id: bot.applicationId,
    name: bot.applicationName,
    icon: null,
    description: `The ${bot.name} test bot`,
    summary: '',
    bot_public: true,
    bot_require_code_grant: false,
    verify_key: world.secret.slice(-64),
    team: null,
    flags: bot.applicationFlags,
    flags_new: String(bot.applicationFlags),
    redirect_uris: [],
    interactions_endpoint_url: null,
    role_connections_verification_url: null,
    approximate_guild_count: guildsOf(ctx).length,
    bot: toApiUser(bot.user),
    ...(owner ? { owner: toApiUser(owner) } : {}),
  }
  return ok(application)
}

/** Partial guilds sorted by id; `before`/`after` page through them as Discord does (limit 1–200, default 200). */
export const getCurrentUserGuilds: RouteHandler = (ctx) => {
  const limit = readInt(ctx.query, 'limit', { min: 1, max: 200, fallback: 200 })
  const before = readSnowflake(ctx.query, 'before')
  const after = readSnowflake(ctx.query, 'after')
  const withCounts = readBool(ctx.query, 'with_counts')
  let guilds = guildsOf(ctx)
  if (after) guilds = guilds.filter((g) => compareSnowflakes(g.id, after) > 0).slice(0, limit)
  else if (before) guilds = guilds.filter((g) => compareSnowflakes(g.id, before) < 0).slice(-limit)
  else guilds = guilds.slice(0, limit)
  return ok(
    guilds.map((guild) => toPartialGuild(guild, ctx.bot.user.id, withCounts ? countsOf(ctx.world, guild) : undefined)),
  )
}

function guildsOf(ctx: RestContext) {
  return [...ctx.world.guilds.values()]
    .filter((guild) => guild.members.has(ctx.bot.user.id))
    .sort((a, b) => compareSnowflakes(a.id, b.id))
}
