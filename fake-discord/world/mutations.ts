import type {
  AllowedMentions,
  ChannelRecord,
  MemberRecord,
  MessageRecord,
  ReactionRecord,
  WorldState,
} from './types.ts'

/** What changed in the world; the gateway turns each into dispatches for the bots that may see it. */
export type WorldEvent =
  | { type: 'messageCreate'; message: MessageRecord }
  | { type: 'messageUpdate'; message: MessageRecord }
  | { type: 'messageDelete'; message: MessageRecord }
  | { type: 'reactionAdd'; message: MessageRecord; userId: string; emoji: ReactionRecord['emoji'] }
  | { type: 'reactionRemove'; message: MessageRecord; userId: string; emoji: ReactionRecord['emoji'] }
  | { type: 'memberAdd'; guildId: string; member: MemberRecord }
  | { type: 'memberRemove'; guildId: string; userId: string }
  | { type: 'messageDeleteBulk'; channelId: string; guildId: string; messageIds: string[] }
  | { type: 'channelCreate' | 'channelUpdate' | 'channelDelete'; channel: ChannelRecord }
  | { type: 'memberUpdate'; guildId: string; member: MemberRecord }
  | { type: 'typingStart'; channelId: string; guildId: string; userId: string; timestampSeconds: number }

export interface Mutations {
  createMessage(input: {
    channelId: string
    authorId: string
    content: string
    embeds?: readonly Record<string, unknown>[]
    nonce?: string | number | null
    allowedMentions?: AllowedMentions | null
    replyTo?: MessageRecord['replyTo']
  }): MessageRecord
  editMessage(message: MessageRecord, change: { content?: string; embeds?: readonly Record<string, unknown>[] }): void
  deleteMessage(message: MessageRecord): void
  addReaction(message: MessageRecord, userId: string, emoji: ReactionRecord['emoji']): void
  removeReaction(message: MessageRecord, userId: string, emoji: ReactionRecord['emoji']): void
  addMember(guildId: string, userId: string): MemberRecord
  removeMember(guildId: string, userId: string): boolean
  /** Two or more messages of one channel at once (Discord's bulk delete: one MESSAGE_DELETE_BULK). */
  deleteMessages(channelId: string, messages: readonly MessageRecord[]): void
  createChannel(
    guildId: string,
    spec: { name: string; type?: ChannelRecord['type']; topic?: string | null },
  ): ChannelRecord
  updateChannel(channel: ChannelRecord, change: { name?: string; topic?: string | null }): ChannelRecord
  deleteChannel(channel: ChannelRecord): void
  updateMember(guildId: string, member: MemberRecord, change: { nick?: string | null; roles?: string[] }): MemberRecord
  typing(channelId: string, userId: string): void
  subscribe(listener: (event: WorldEvent) => void): () => void
}

export const emojiKey = (emoji: ReactionRecord['emoji']): string =>
  emoji.id ? `${emoji.name}:${emoji.id}` : emoji.name

export function createMutations(world: WorldState, nextId: () => string): Mutations {
  const listeners = new Set<(event: WorldEvent) => void>()
  const emit = (event: WorldEvent) => {
    for (const listener of listeners) listener(event)
  }
  return {
    createMessage({ channelId, authorId, content, embeds = [], nonce = null, allowedMentions = null, replyTo = null }) {
      const channel = world.channels.get(channelId)
      if (!channel) throw new Error(`unknown channel ${channelId}`)
      const message: MessageRecord = {
        id: nextId(),
        channelId,
        guildId: channel.guildId,
        authorId,
        content,
        embeds,
        editedTimestamp: null,
        nonce,
        allowedMentions,
        reactions: new Map(),
        replyTo,
      }
      const list = world.messages.get(channelId) ?? []
      list.push(message)
      world.messages.set(channelId, list)
      channel.lastMessageId = message.id
      emit({ type: 'messageCreate', message })
      return message
    },
    editMessage(message, change) {
      if (change.content !== undefined) message.content = change.content
      if (change.embeds !== undefined) message.embeds = change.embeds
      message.editedTimestamp = new Date().toISOString()
      emit({ type: 'messageUpdate', message })
    },
    deleteMessage(message) {
      const list = world.messages.get(message.channelId) ?? []
      const at = list.indexOf(message)
      if (at >= 0) list.splice(at, 1)
      emit({ type: 'messageDelete', message })
    },
    addReaction(message, userId, emoji) {
      const key = emojiKey(emoji)
      const reaction = message.reactions.get(key) ?? { emoji, userIds: new Set<string>() }
      message.reactions.set(key, reaction)
      if (reaction.userIds.has(userId)) return // Discord answers 204 and dispatches nothing
      reaction.userIds.add(userId)
      emit({ type: 'reactionAdd', message, userId, emoji })
    },
    removeReaction(message, userId, emoji) {
      const reaction = message.reactions.get(emojiKey(emoji))
      if (!reaction?.userIds.delete(userId)) return
      if (reaction.userIds.size === 0) message.reactions.delete(emojiKey(emoji))
      emit({ type: 'reactionRemove', message, userId, emoji })
    },
    addMember(guildId, userId) {
      const guild = world.guilds.get(guildId)
      if (!guild) throw new Error(`unknown guild ${guildId}`)
      const existing = guild.members.get(userId)
      if (existing) return existing
      const member: MemberRecord = { userId, roles: [], joinedAt: new Date().toISOString(), nick: null }
      guild.members.set(userId, member)
      emit({ type: 'memberAdd', guildId, member })
      return member
    },
    removeMember(guildId, userId) {
      const removed = world.guilds.get(guildId)?.members.delete(userId) ?? false
      if (removed) emit({ type: 'memberRemove', guildId, userId })
      return removed
    },
    deleteMessages(channelId, messages) {
      const channel = world.channels.get(channelId)
      if (!channel) throw new Error(`unknown channel ${channelId}`)
      const gone = new Set(messages)
      world.messages.set(
        channelId,
        (world.messages.get(channelId) ?? []).filter((message) => !gone.has(message)),
      )
      const messageIds = messages.map((message) => message.id)
      emit({ type: 'messageDeleteBulk', channelId, guildId: channel.guildId, messageIds })
    },
    createChannel(guildId, { name, type = 0, topic = null }) {
      const guild = world.guilds.get(guildId)
      if (!guild) throw new Error(`unknown guild ${guildId}`)
      const channel: ChannelRecord = {
        id: nextId(),
        guildId,
        type,
        name,
        position: guild.channels.length,
        parentId: null,
        topic: type === 0 ? topic : null,
        overwrites: [],
        lastMessageId: null,
      }
      // records are read-only to everyone but this module, which replaces them as Discord changes them
      ;(guild.channels as ChannelRecord[]).push(channel)
      world.channels.set(channel.id, channel)
      emit({ type: 'channelCreate', channel })
      return channel
    },
    updateChannel(channel, change) {
      const guild = world.guilds.get(channel.guildId)
      if (!guild) throw new Error(`unknown guild ${channel.guildId}`)
      const updated: ChannelRecord = { ...channel, ...change }
      const list = guild.channels as ChannelRecord[]
      list[list.indexOf(channel)] = updated
      world.channels.set(channel.id, updated)
      emit({ type: 'channelUpdate', channel: updated })
      return updated
    },
    deleteChannel(channel) {
      const guild = world.guilds.get(channel.guildId)
      const list = (guild?.channels ?? []) as ChannelRecord[]
      const at = list.indexOf(channel)
      if (at >= 0) list.splice(at, 1)
      world.channels.delete(channel.id)
      world.messages.delete(channel.id)
      emit({ type: 'channelDelete', channel })
    },
    updateMember(guildId, member, change) {
      const guild = world.guilds.get(guildId)
      if (!guild) throw new Error(`unknown guild ${guildId}`)
      const updated: MemberRecord = { ...member, ...change }
      guild.members.set(member.userId, updated)
      emit({ type: 'memberUpdate', guildId, member: updated })
      return updated
    },
    typing(channelId, userId) {
      const channel = world.channels.get(channelId)
      if (!channel) throw new Error(`unknown channel ${channelId}`)
      emit({
        type: 'typingStart',
        channelId,
        guildId: channel.guildId,
        userId,
        timestampSeconds: Math.floor(Date.now() / 1000),
      })
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
