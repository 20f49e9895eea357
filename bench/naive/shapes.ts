import type { Message } from 'discord.js'

/** The API's message shape (workers/shapes.ts), built from discord.js's Message as a single-process app would. */
export const toMessage = (message: Message) => ({
  id: message.id,
  channelId: message.channelId,
  author: {
    id: message.author.id,
    username: message.author.username,
    globalName: message.author.globalName,
    avatar: message.author.avatar,
    bot: message.author.bot,
  },
  content: message.content,
  timestamp: message.createdAt.toISOString(),
  editedTimestamp: message.editedAt?.toISOString() ?? null,
  attachments: [...message.attachments.values()].map((attachment) => ({
    id: attachment.id,
    filename: attachment.name,
    size: attachment.size,
    url: attachment.url,
    contentType: attachment.contentType,
  })),
  embedCount: message.embeds.length,
})
