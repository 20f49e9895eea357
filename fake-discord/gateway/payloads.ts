import type {
  APIChannel,
  GatewayGuildCreateDispatchData,
  GatewayPresenceUpdate,
  GatewayReadyDispatchData,
} from 'discord-api-types/v10'
import { toApiChannel, toApiGuild, toApiMember, toApiUser } from '../payloads.ts'
import type { GuildRecord, MemberRecord, World } from '../world/types.ts'
import { hasIntent, Intent } from './intents.ts'
import type { Session } from './sessions.ts'

export const TRACE = ['["gateway-fake-0",{"micros":0.0}]']

export function guildsOfBot(world: World, botUserId: string): GuildRecord[] {
  return [...world.guilds.values()].filter((guild) => guild.members.has(botUserId))
}

export function buildReady(world: World, session: Session, gatewayUrl: string): GatewayReadyDispatchData {
  const { bot } = session
  return {
    v: 10,
    user: { ...toApiUser(bot.user), verified: true, mfa_enabled: false, email: null },
    guilds: guildsOfBot(world, bot.user.id).map((guild) => ({ id: guild.id, unavailable: true })),
    session_id: session.id,
    resume_gateway_url: gatewayUrl,
    shard: [0, 1],
    application: { id: bot.applicationId, flags: bot.applicationFlags, flags_new: String(bot.applicationFlags) },
    ...({
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      user_settings: {},
      geo_ordered_rtc_regions: ['us-east', 'us-central', 'atlanta', 'us-south', 'newark'],
      session_type: 'normal',
      auth: {},
      _trace: TRACE,
    } as object),
  }
}

/**
 * GUILD_CREATE as Discord sends it after READY. Member lists follow Discord's rules: without Server Members the bot
 * gets only itself; a "large" guild (member_count > large_threshold) sends only online members, and only when it
 * may see presences; a small one sends everyone.
 */
export function buildGuildCreate(world: World, guild: GuildRecord, session: Session): GatewayGuildCreateDispatchData {
  const botId = session.bot.user.id
  const large = guild.members.size > session.largeThreshold
  const withMembers = hasIntent(session.intents, Intent.GuildMembers)
  const withPresences = hasIntent(session.intents, Intent.GuildPresences)
  const members: MemberRecord[] = [...guild.members.values()].filter((member) => {
    if (member.userId === botId) return true
    if (!withMembers) return false
    return large ? withPresences && world.onlineUserIds.has(member.userId) : true
  })
  const presences = withPresences
    ? members.filter((m) => world.onlineUserIds.has(m.userId)).map((m) => presenceOf(m.userId, guild.id))
    : []
  const self = guild.members.get(botId)
  return {
    ...toApiGuild(guild),
    joined_at: self?.joinedAt ?? new Date().toISOString(),
    large,
    unavailable: false,
    member_count: guild.members.size,
    voice_states: [],
    members: members.map((member) => toApiMember(world, member)),
    // channels inside GUILD_CREATE carry no guild_id: the guild is the context
    channels: guild.channels.map((channel) => withoutGuildId(toApiChannel(channel))),
    threads: [],
    presences,
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  }
}

function withoutGuildId(channel: APIChannel): GatewayGuildCreateDispatchData['channels'][number] {
  const { guild_id: _inContext, ...rest } = channel as APIChannel & { guild_id?: string }
  return rest as GatewayGuildCreateDispatchData['channels'][number]
}

export function presenceOf(userId: string, guildId: string): GatewayPresenceUpdate {
  return {
    user: { id: userId },
    guild_id: guildId,
    status: 'online' as GatewayPresenceUpdate['status'],
    activities: [],
    client_status: { desktop: 'online' as NonNullable<GatewayPresenceUpdate['status']> },
  }
}
