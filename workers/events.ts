import type { Client } from 'discord.js'
import {
  GatewayDispatchEvents as T,
  type APIGuildMember,
  type APIMessage,
  type GatewayDispatchPayload,
} from 'discord-api-types/v10'
import type { ForwardedDispatch, WorkerPush } from '../src/contract.ts'
import type { DiscordEventType } from '../src/events/types.ts'
import {
  toDeletedMessage,
  toDeletedMessages,
  toEventChannel,
  toEventGuild,
  toReaction,
  toRemovedMember,
  toTyping,
} from './event-shapes.ts'
import { toMember, toMessage } from './shapes.ts'
import { subscribeRaw } from './subscribe.ts'

const CHANNEL_EVENTS = {
  [T.ChannelCreate]: 'channelCreate',
  [T.ChannelUpdate]: 'channelUpdate',
  [T.ChannelDelete]: 'channelDelete',
} as const

type Shaped = { type: DiscordEventType; data: Record<string, unknown>; guildId?: string; channelId?: string }

/**
 * Forwards the gateway dispatches the API tells as live events, each with Discord's sequence number `s`, batched
 * per microtask into one `events` push of pre-serialized JSON. Listens from before login: after a RESUME Discord
 * replays the missed dispatches before RESUMED, that is before start() answers, and none may be missed here.
 *
 * The GUILD_CREATEs that follow READY are skipped: they load the guilds READY listed as unavailable (and come
 * back after every outage), they are not the bot joining a guild, and a client gets that state from
 * GET /api/guilds. discord.js draws the same line (guildCreate vs guildAvailable). A GUILD_DELETE with
 * `unavailable` is an outage, not a removal, and is skipped likewise.
 */
export function forwardEvents(client: Client, push: (message: WorkerPush) => void): () => void {
  let botId: string | undefined
  let sessionId: string | undefined
  /** Guilds READY (or an outage) announced: their GUILD_CREATE is a load, not a join. */
  const loading = new Set<string>()
  let pending: ForwardedDispatch[] = []

  const flush = () => {
    if (pending.length === 0 || !botId || !sessionId) return
    push({ botvisor: 'events', botId, sessionId, body: JSON.stringify(pending) })
    pending = []
  }

  const shape = (packet: GatewayDispatchPayload): Shaped | undefined => {
    switch (packet.t) {
      case T.MessageCreate:
      case T.MessageUpdate: {
        const d = packet.d as APIMessage & { guild_id?: string }
        const type = packet.t === T.MessageCreate ? 'messageCreate' : 'messageUpdate'
        // content is what Discord sent: empty without the MessageContent intent, as Discord sends it
        return { type, data: toMessage(d), guildId: d.guild_id, channelId: d.channel_id }
      }
      case T.MessageDelete:
        return { type: 'messageDelete', data: toDeletedMessage(packet.d), ...where(packet.d) }
      case T.MessageDeleteBulk:
        return { type: 'messageDeleteBulk', data: toDeletedMessages(packet.d), ...where(packet.d) }
      case T.MessageReactionAdd:
      case T.MessageReactionRemove: {
        const type = packet.t === T.MessageReactionAdd ? 'messageReactionAdd' : 'messageReactionRemove'
        return { type, data: toReaction(packet.d), ...where(packet.d) }
      }
      case T.GuildMemberAdd:
      case T.GuildMemberUpdate: {
        const type = packet.t === T.GuildMemberAdd ? 'guildMemberAdd' : 'guildMemberUpdate'
        return { type, data: toMember(packet.d as APIGuildMember), guildId: packet.d.guild_id }
      }
      case T.GuildMemberRemove:
        return { type: 'guildMemberRemove', data: toRemovedMember(packet.d), guildId: packet.d.guild_id }
      case T.ChannelCreate:
      case T.ChannelUpdate:
      case T.ChannelDelete: {
        const guildId = 'guild_id' in packet.d ? packet.d.guild_id : undefined
        return { type: CHANNEL_EVENTS[packet.t], data: toEventChannel(packet.d), guildId, channelId: packet.d.id }
      }
      case T.GuildCreate:
        if (loading.delete(packet.d.id)) return undefined
        return { type: 'guildCreate', data: toEventGuild(packet.d), guildId: packet.d.id }
      case T.GuildDelete:
        if (packet.d.unavailable) {
          loading.add(packet.d.id)
          return undefined
        }
        return { type: 'guildDelete', data: { id: packet.d.id }, guildId: packet.d.id }
      case T.TypingStart:
        return { type: 'typingStart', data: toTyping(packet.d), ...where(packet.d) }
      default:
        return undefined
    }
  }

  const onRaw = (packet: GatewayDispatchPayload) => {
    if (packet.t === T.Ready) {
      // a new session (or, with s 0, the one a restart rebuilt to RESUME): every guild it lists is loading
      flush()
      botId = packet.d.user.id
      sessionId = packet.d.session_id
      loading.clear()
      for (const guild of packet.d.guilds) loading.add(guild.id)
      return
    }
    const shaped = shape(packet)
    if (!shaped) return
    if (pending.length === 0) queueMicrotask(flush)
    pending.push({ ...shaped, s: packet.s, at: new Date().toISOString() })
  }

  const unsubscribe = subscribeRaw(client, onRaw)
  return () => {
    unsubscribe()
    flush() // what Discord already sent is the gateway's, even from a client being destroyed
  }
}

const where = (d: { guild_id?: string; channel_id: string }) => ({ guildId: d.guild_id, channelId: d.channel_id })
