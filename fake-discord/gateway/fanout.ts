import { channelPermissions, hasPermission, Permission } from '../permissions.ts'
import { mentionedUserIds, toApiChannel, toApiMember, toApiMessage, toApiUser, toPartialMember } from '../payloads.ts'
import type { WorldEvent } from '../world/mutations.ts'
import type { ChannelRecord, MessageRecord, WorldState } from '../world/types.ts'
import { hasIntent, Intent } from './intents.ts'
import { buildGuildCreate } from './payloads.ts'
import type { Session, SessionStore } from './sessions.ts'

/** Turns world changes into dispatches for every session whose bot may see them, as Discord filters them. */
export function createFanout(world: WorldState, sessions: SessionStore): (event: WorldEvent) => void {
  // a deleted channel is judged by its last record: Discord tells its deletion to those who could see it
  const canViewChannel = (session: Session, channel: ChannelRecord | undefined): boolean => {
    const guild = channel && world.guilds.get(channel.guildId)
    if (!guild || !channel || !guild.members.has(session.bot.user.id)) return false
    return hasPermission(channelPermissions(guild, channel, session.bot.user.id), Permission.ViewChannel)
  }
  const canView = (session: Session, message: MessageRecord): boolean =>
    canViewChannel(session, world.channels.get(message.channelId))
  /** Every live session in the guild with the intent that `accept`s the dispatch. */
  const each = (
    guildId: string,
    intent: number,
    accept: (session: Session) => boolean,
    send: (session: Session) => void,
  ) => {
    const guild = world.guilds.get(guildId)
    if (!guild) return
    for (const session of sessions.inGuild(guild.members))
      if (hasIntent(session.intents, intent) && accept(session)) send(session)
  }

  const messageFor = (session: Session, message: MessageRecord) => {
    const botId = session.bot.user.id
    // Message Content is per connection here: the intent, or the bot wrote it or is mentioned in it
    const canRead =
      hasIntent(session.intents, Intent.MessageContent) ||
      message.authorId === botId ||
      mentionedUserIds(message.content).includes(botId)
    const member = world.guilds.get(message.guildId)?.members.get(message.authorId)
    return {
      ...toApiMessage(world, message, canRead),
      guild_id: message.guildId,
      ...(member ? { member: toPartialMember(member) } : {}),
    }
  }

  return function dispatchWorldEvent(event) {
    switch (event.type) {
      case 'messageCreate':
      case 'messageUpdate': {
        const type = event.type === 'messageCreate' ? 'MESSAGE_CREATE' : 'MESSAGE_UPDATE'
        each(
          event.message.guildId,
          Intent.GuildMessages,
          (s) => canView(s, event.message),
          (s) => sessions.dispatch(s, type, messageFor(s, event.message)),
        )
        return
      }
      case 'messageDelete': {
        const { message } = event
        each(
          message.guildId,
          Intent.GuildMessages,
          (s) => canView(s, message),
          (s) =>
            sessions.dispatch(s, 'MESSAGE_DELETE', {
              id: message.id,
              channel_id: message.channelId,
              guild_id: message.guildId,
            }),
        )
        return
      }
      case 'reactionAdd':
      case 'reactionRemove': {
        const { message, userId, emoji } = event
        const member = world.guilds.get(message.guildId)?.members.get(userId)
        const base = {
          user_id: userId,
          channel_id: message.channelId,
          message_id: message.id,
          guild_id: message.guildId,
          emoji,
          burst: false,
          type: 0,
        }
        const data =
          event.type === 'reactionAdd'
            ? {
                ...base,
                message_author_id: message.authorId,
                burst_colors: [],
                ...(member ? { member: toApiMember(world, member) } : {}),
              }
            : base
        const type = event.type === 'reactionAdd' ? 'MESSAGE_REACTION_ADD' : 'MESSAGE_REACTION_REMOVE'
        each(
          message.guildId,
          Intent.GuildMessageReactions,
          (s) => canView(s, message),
          (s) => sessions.dispatch(s, type, data),
        )
        return
      }
      case 'memberAdd': {
        const guild = world.guilds.get(event.guildId)
        if (!guild) return
        // the bot itself joining: its sessions get the whole guild, as after an invite
        for (const s of sessions.ofBot(event.member.userId)) {
          if (hasIntent(s.intents, Intent.Guilds))
            sessions.dispatch(s, 'GUILD_CREATE', buildGuildCreate(world, guild, s))
        }
        const data = { ...toApiMember(world, event.member), guild_id: event.guildId }
        each(
          event.guildId,
          Intent.GuildMembers,
          (s) => s.bot.user.id !== event.member.userId,
          (s) => sessions.dispatch(s, 'GUILD_MEMBER_ADD', data),
        )
        return
      }
      case 'messageDeleteBulk': {
        const channel = world.channels.get(event.channelId)
        const data = { ids: event.messageIds, channel_id: event.channelId, guild_id: event.guildId }
        each(
          event.guildId,
          Intent.GuildMessages,
          (s) => canViewChannel(s, channel),
          (s) => sessions.dispatch(s, 'MESSAGE_DELETE_BULK', data),
        )
        return
      }
      case 'channelCreate':
      case 'channelUpdate':
      case 'channelDelete': {
        const type = {
          channelCreate: 'CHANNEL_CREATE',
          channelUpdate: 'CHANNEL_UPDATE',
          channelDelete: 'CHANNEL_DELETE',
        }[event.type]
        const data = toApiChannel(event.channel)
        each(
          event.channel.guildId,
          Intent.Guilds,
          (s) => canViewChannel(s, event.channel),
          (s) => sessions.dispatch(s, type, data),
        )
        return
      }
      case 'memberUpdate': {
        const data = {
          ...toApiMember(world, event.member),
          guild_id: event.guildId,
          premium_since: null,
          pending: false,
          communication_disabled_until: null,
        }
        // a bot hears of its own member changing without the GuildMembers intent (its roles decide what it may do)
        each(
          event.guildId,
          0,
          (s) => s.bot.user.id === event.member.userId || hasIntent(s.intents, Intent.GuildMembers),
          (s) => sessions.dispatch(s, 'GUILD_MEMBER_UPDATE', data),
        )
        return
      }
      case 'typingStart': {
        const channel = world.channels.get(event.channelId)
        const member = world.guilds.get(event.guildId)?.members.get(event.userId)
        const data = {
          channel_id: event.channelId,
          guild_id: event.guildId,
          user_id: event.userId,
          timestamp: event.timestampSeconds,
          ...(member ? { member: toApiMember(world, member) } : {}),
        }
        each(
          event.guildId,
          Intent.GuildMessageTyping,
          (s) => canViewChannel(s, channel),
          (s) => sessions.dispatch(s, 'TYPING_START', data),
        )
        return
      }
      case 'memberRemove': {
        const user = world.users.get(event.userId)
        for (const s of sessions.ofBot(event.userId)) {
          // no `unavailable`: the bot was removed
          if (hasIntent(s.intents, Intent.Guilds)) sessions.dispatch(s, 'GUILD_DELETE', { id: event.guildId })
        }
        if (!user) return
        each(
          event.guildId,
          Intent.GuildMembers,
          () => true,
          (s) => sessions.dispatch(s, 'GUILD_MEMBER_REMOVE', { guild_id: event.guildId, user: toApiUser(user) }),
        )
        return
      }
    }
  }
}
