import { channelPermissions, hasPermission, Permission } from '../permissions.ts'
import { mentionedUserIds, toApiMember, toApiMessage, toApiUser, toPartialMember } from '../payloads.ts'
import type { WorldEvent } from '../world/mutations.ts'
import type { MessageRecord, WorldState } from '../world/types.ts'
import { hasIntent, Intent } from './intents.ts'
import { buildGuildCreate } from './payloads.ts'
import type { Session, SessionStore } from './sessions.ts'

/** Turns world changes into dispatches for every session whose bot may see them, as Discord filters them. */
export function createFanout(world: WorldState, sessions: SessionStore): (event: WorldEvent) => void {
  const canView = (session: Session, message: MessageRecord): boolean => {
    const guild = world.guilds.get(message.guildId)
    const channel = world.channels.get(message.channelId)
    if (!guild || !channel || !guild.members.has(session.bot.user.id)) return false
    return hasPermission(channelPermissions(guild, channel, session.bot.user.id), Permission.ViewChannel)
  }
  const inGuild = (session: Session, guildId: string) =>
    world.guilds.get(guildId)?.members.has(session.bot.user.id) ?? false
  const each = (intent: number, accept: (session: Session) => boolean, send: (session: Session) => void) => {
    for (const session of sessions.live()) if (hasIntent(session.intents, intent) && accept(session)) send(session)
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
          Intent.GuildMessages,
          (s) => canView(s, event.message),
          (s) => sessions.dispatch(s, type, messageFor(s, event.message)),
        )
        return
      }
      case 'messageDelete': {
        const { message } = event
        each(
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
        for (const s of sessions.live()) {
          if (s.bot.user.id === event.member.userId && hasIntent(s.intents, Intent.Guilds)) {
            sessions.dispatch(s, 'GUILD_CREATE', buildGuildCreate(world, guild, s))
          }
        }
        const data = { ...toApiMember(world, event.member), guild_id: event.guildId }
        each(
          Intent.GuildMembers,
          (s) => s.bot.user.id !== event.member.userId && inGuild(s, event.guildId),
          (s) => sessions.dispatch(s, 'GUILD_MEMBER_ADD', data),
        )
        return
      }
      case 'typingStart': {
        const { channelId, guildId, userId } = event
        const member = world.guilds.get(guildId)?.members.get(userId)
        const data = {
          channel_id: channelId,
          guild_id: guildId,
          user_id: userId,
          timestamp: Math.floor(event.at / 1000), // Unix seconds, as Discord sends it
          ...(member ? { member: toApiMember(world, member) } : {}),
        }
        const channel = world.channels.get(channelId)
        const guild = world.guilds.get(guildId)
        each(
          Intent.GuildMessageTyping,
          (s) =>
            guild !== undefined &&
            channel !== undefined &&
            guild.members.has(s.bot.user.id) &&
            hasPermission(channelPermissions(guild, channel, s.bot.user.id), Permission.ViewChannel),
          (s) => sessions.dispatch(s, 'TYPING_START', data),
        )
        return
      }
      case 'memberRemove': {
        const user = world.users.get(event.userId)
        for (const s of sessions.live()) {
          if (s.bot.user.id === event.userId && hasIntent(s.intents, Intent.Guilds)) {
            sessions.dispatch(s, 'GUILD_DELETE', { id: event.guildId }) // no `unavailable`: the bot was removed
          }
        }
        if (!user) return
        each(
          Intent.GuildMembers,
          (s) => inGuild(s, event.guildId),
          (s) => sessions.dispatch(s, 'GUILD_MEMBER_REMOVE', { guild_id: event.guildId, user: toApiUser(user) }),
        )
        return
      }
    }
  }
}
