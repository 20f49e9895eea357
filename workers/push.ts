import { Events, type Channel, type Client, type Guild } from 'discord.js'
import type { WorkerPush } from '../src/contract.ts'
import { toChannel, toGuild } from './shapes.ts'
import { subscribe, unsubscribeAll } from './subscribe.ts'

export function serializeGuilds(client: Client<true>): Extract<WorkerPush, { botvisor: 'guilds' }> {
  const guilds = [...client.guilds.cache.values()]
  return { botvisor: 'guilds', body: JSON.stringify(guilds.map(toGuild)), guildIds: guilds.map((guild) => guild.id) }
}

export function serializeChannels(guild: Guild): string {
  const channels = [...guild.channels.cache.values()]
  channels.sort((a, b) => ('position' in a ? a.position : 0) - ('position' in b ? b.position : 0))
  return JSON.stringify(channels.map(toChannel))
}

/**
 * Keeps the gateway's copies of the guild and channel lists fresh: a full snapshot now, then the guilds
 * that changed. Changes are coalesced per microtask, so a burst of channel events sends one body.
 */
export function pushCaches(client: Client<true>, push: (message: WorkerPush) => void): () => void {
  const changedGuilds = new Set<string>()
  let guildListChanged = false
  let scheduled = false

  const flush = () => {
    scheduled = false
    if (guildListChanged) push(serializeGuilds(client))
    for (const guildId of changedGuilds) {
      const guild = client.guilds.cache.get(guildId)
      push({ botvisor: 'channels', guildId, body: guild ? serializeChannels(guild) : null })
    }
    changedGuilds.clear()
    guildListChanged = false
  }
  const mark = (guildId: string, guildItself: boolean) => {
    changedGuilds.add(guildId)
    guildListChanged ||= guildItself
    if (!scheduled) {
      scheduled = true
      queueMicrotask(flush)
    }
  }

  for (const guild of client.guilds.cache.values()) mark(guild.id, true)
  flush()

  const onGuild = (guild: { id: string }) => mark(guild.id, true)
  const onChannel = (channel: Channel) => {
    if ('guildId' in channel && channel.guildId) mark(channel.guildId, false)
  }
  const onChannelUpdate = (_old: unknown, channel: Channel) => onChannel(channel)
  const onGuildUpdate = (_old: unknown, guild: { id: string }) => onGuild(guild)
  // member counts move with joins and leaves: the guild list shows them
  const onMember = (member: { guild: { id: string } }) => mark(member.guild.id, true)
  return unsubscribeAll([
    subscribe(client, Events.GuildCreate, onGuild),
    subscribe(client, Events.GuildDelete, onGuild),
    subscribe(client, Events.GuildUpdate, onGuildUpdate),
    subscribe(client, Events.GuildMemberAdd, onMember),
    subscribe(client, Events.GuildMemberRemove, onMember),
    subscribe(client, Events.ChannelCreate, onChannel),
    subscribe(client, Events.ChannelDelete, onChannel),
    subscribe(client, Events.ChannelUpdate, onChannelUpdate),
  ])
}
