import type { APIChannel, APIGuildMember } from 'discord-api-types/v10'
import { toApiChannel, toApiMember } from './payloads.ts'
import type { Mutations } from './world/mutations.ts'
import type { ChannelRecord, MessageRecord, ReactionRecord, WorldState } from './world/types.ts'

/** Levers that change the world as Discord's users and admins would: each causes the dispatches Discord sends. */
export interface WorldLevers {
  /** MESSAGE_UPDATE, as when the author edits it. */
  editMessage(input: { channelId: string; messageId: string; content: string }): void
  /** One id: MESSAGE_DELETE; two or more: one MESSAGE_DELETE_BULK, as Discord's bulk delete. */
  deleteMessages(input: { channelId: string; messageIds: string[] }): void
  createChannel(input: {
    guildId: string
    name: string
    type?: ChannelRecord['type']
    topic?: string | null
  }): APIChannel
  updateChannel(input: { channelId: string; name?: string; topic?: string | null }): APIChannel
  deleteChannel(input: { channelId: string }): void
  /** GUILD_MEMBER_UPDATE: a nickname or roles changed. */
  updateMember(input: { guildId: string; userId: string; nick?: string | null; roles?: string[] }): APIGuildMember
  /** TYPING_START from a user (default `world.ids.humanUser`). */
  typing(input: { channelId: string; userId?: string }): void
  /** `emoji`: a unicode emoji or `name:id`. MESSAGE_REACTION_ADD / _REMOVE by a user (default the human). */
  addReaction(input: { channelId: string; messageId: string; emoji: string; userId?: string }): void
  removeReaction(input: { channelId: string; messageId: string; emoji: string; userId?: string }): void
}

export function createWorldLevers(world: WorldState, mutations: Mutations): WorldLevers {
  const channelOf = (channelId: string): ChannelRecord => {
    const channel = world.channels.get(channelId)
    if (!channel) throw new Error(`unknown channel ${channelId}`)
    return channel
  }
  const messageOf = (channelId: string, messageId: string): MessageRecord => {
    const message = (world.messages.get(channelId) ?? []).find((m) => m.id === messageId)
    if (!message) throw new Error(`unknown message ${messageId} in channel ${channelId}`)
    return message
  }
  const emojiOf = (text: string): ReactionRecord['emoji'] => {
    const custom = /^(\w+):(\d{17,20})$/.exec(text)
    return custom ? { name: custom[1] as string, id: custom[2] as string } : { name: text, id: null }
  }
  const memberOf = (guildId: string, userId: string) => {
    const member = world.guilds.get(guildId)?.members.get(userId)
    if (!member) throw new Error(`user ${userId} is not a member of guild ${guildId}`)
    return member
  }

  return {
    editMessage: ({ channelId, messageId, content }) =>
      mutations.editMessage(messageOf(channelId, messageId), { content }),
    deleteMessages({ channelId, messageIds }) {
      const messages = messageIds.map((id) => messageOf(channelId, id))
      if (messages.length === 1) mutations.deleteMessage(messages[0] as MessageRecord)
      else mutations.deleteMessages(channelId, messages)
    },
    createChannel: ({ guildId, ...spec }) => toApiChannel(mutations.createChannel(guildId, spec)),
    updateChannel: ({ channelId, ...change }) => toApiChannel(mutations.updateChannel(channelOf(channelId), change)),
    deleteChannel: ({ channelId }) => mutations.deleteChannel(channelOf(channelId)),
    updateMember: ({ guildId, userId, ...change }) =>
      toApiMember(world, mutations.updateMember(guildId, memberOf(guildId, userId), change)),
    typing({ channelId, userId = world.ids.humanUser }) {
      memberOf(channelOf(channelId).guildId, userId)
      mutations.typing(channelId, userId)
    },
    addReaction: ({ channelId, messageId, emoji, userId = world.ids.humanUser }) =>
      mutations.addReaction(messageOf(channelId, messageId), userId, emojiOf(emoji)),
    removeReaction: ({ channelId, messageId, emoji, userId = world.ids.humanUser }) =>
      mutations.removeReaction(messageOf(channelId, messageId), userId, emojiOf(emoji)),
  }
}
