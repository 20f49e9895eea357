import { Events, type Client } from 'discord.js'
import { GatewayDispatchEvents, type APIMessage, type GatewayDispatchPayload } from 'discord-api-types/v10'
import type { MessageCache } from './message-cache.ts'
import { subscribe, subscribeRaw, unsubscribeAll } from './subscribe.ts'

/** Keeps the message cache true to Discord from the raw gateway dispatches (no discord.js structures built). */
export function feedMessageCache(client: Client<true>, cache: MessageCache): () => void {
  const onRaw = (packet: GatewayDispatchPayload) => {
    switch (packet.t) {
      case GatewayDispatchEvents.MessageCreate:
        return cache.created(packet.d as APIMessage)
      case GatewayDispatchEvents.MessageUpdate:
        return cache.updated(packet.d as APIMessage)
      case GatewayDispatchEvents.MessageDelete:
        return cache.deleted(packet.d.channel_id, [packet.d.id])
      case GatewayDispatchEvents.MessageDeleteBulk:
        return cache.deleted(packet.d.channel_id, packet.d.ids)
      case GatewayDispatchEvents.ChannelUpdate:
      case GatewayDispatchEvents.ChannelDelete:
        return cache.dropChannel(packet.d.id)
      case GatewayDispatchEvents.GuildRoleUpdate:
      case GatewayDispatchEvents.GuildRoleDelete:
      case GatewayDispatchEvents.GuildDelete:
        return cache.dropGuild('guild_id' in packet.d ? packet.d.guild_id : packet.d.id)
      case GatewayDispatchEvents.GuildMemberUpdate:
        if (packet.d.user.id === client.user.id) cache.dropGuild(packet.d.guild_id) // the bot's own roles changed
        return
      default:
        return
    }
  }
  return unsubscribeAll([
    subscribeRaw(client, onRaw),
    // READY (not RESUMED) starts a new session: the events of the gap are gone
    subscribe(client, Events.ShardReady, () => cache.clear()),
  ])
}
