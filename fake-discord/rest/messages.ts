import type { APIMessage } from 'discord-api-types/v10'
import { hasPermission, Permission } from '../permissions.ts'
import { mentionedUserIds, toApiChannel, toApiMessage, withOwnReactions } from '../payloads.ts'
import { compareSnowflakes } from '../snowflake.ts'
import type { MessageRecord } from '../world/types.ts'
import { channelFor, messageFor } from './access.ts'
import { appHasFlag, noContent, ok, type RestContext, type RouteHandler } from './context.ts'
import { apiErrors, invalidFormBody } from './errors.ts'
import { readInt, readSnowflake } from './query.ts'
import { readMessageBody, type MessageBody } from './message-body.ts'

const param = (ctx: RestContext, name: string) => ctx.params[name] ?? ''

export const getChannel: RouteHandler = (ctx) => ok(toApiChannel(channelFor(ctx, param(ctx, 'channel_id')).channel))

/** Newest first; `around` takes half before and half from the pivot on, as Discord's pager does. */
export const getMessages: RouteHandler = (ctx) => {
  const { permissions, channel } = channelFor(ctx, param(ctx, 'channel_id'))
  const limit = readInt(ctx.query, 'limit', { min: 1, max: 100, fallback: 50 })
  const around = readSnowflake(ctx.query, 'around')
  const before = readSnowflake(ctx.query, 'before')
  const after = readSnowflake(ctx.query, 'after')
  // without Read Message History Discord answers an empty list, not an error
  if (!hasPermission(permissions, Permission.ReadMessageHistory)) return ok([])
  const all = ctx.world.messagesOf(channel.id)
  let page: readonly MessageRecord[]
  if (around) {
    const pivot = all.findIndex((m) => compareSnowflakes(m.id, around) >= 0)
    const at = pivot < 0 ? all.length : pivot
    const start = Math.max(0, at - Math.floor(limit / 2))
    page = all.slice(start, start + limit)
  } else if (before) {
    page = all.filter((m) => compareSnowflakes(m.id, before) < 0).slice(-limit)
  } else if (after) {
    page = all.filter((m) => compareSnowflakes(m.id, after) > 0).slice(0, limit)
  } else {
    page = all.slice(-limit)
  }
  return ok([...page].reverse().map((message) => viewMessage(ctx, message)))
}

export const getMessage: RouteHandler = (ctx) => {
  const { permissions } = channelFor(ctx, param(ctx, 'channel_id'))
  if (!hasPermission(permissions, Permission.ReadMessageHistory)) throw apiErrors.missingPermissions()
  return ok(viewMessage(ctx, messageFor(ctx, param(ctx, 'channel_id'), param(ctx, 'message_id'))))
}

export const postMessage: RouteHandler = (ctx) => {
  const { channel, permissions } = channelFor(ctx, param(ctx, 'channel_id'))
  if (channel.type === 4) throw apiErrors.notTextChannel()
  const body = readMessageBody(ctx.body, 'create')
  if (!hasPermission(permissions, Permission.SendMessages)) throw apiErrors.missingPermissions()
  const authorId = ctx.bot.user.id
  const enforcedNonce = body.enforceNonce ? body.nonce : undefined
  // Discord: same author, same nonce in the past few minutes → that message, and none created (no MESSAGE_CREATE)
  const earlier = enforcedNonce === undefined ? undefined : ctx.nonces.find(ctx.world, authorId, enforcedNonce)
  if (earlier) return ok(viewMessage(ctx, earlier))
  const message = ctx.mutations.createMessage({
    channelId: channel.id,
    authorId,
    content: body.content ?? '',
    embeds: body.embeds ?? [],
    nonce: body.nonce ?? null,
    allowedMentions: body.allowedMentions ?? null,
    replyTo: body.reference ? repliedMessage(ctx, channel.id, body.reference) : null,
  })
  if (enforcedNonce !== undefined) ctx.nonces.remember(message)
  return ok(viewMessage(ctx, message))
}

export const patchMessage: RouteHandler = (ctx) => {
  channelFor(ctx, param(ctx, 'channel_id'))
  const message = messageFor(ctx, param(ctx, 'channel_id'), param(ctx, 'message_id'))
  if (message.authorId !== ctx.bot.user.id) throw apiErrors.cannotEditOthers()
  const body = readMessageBody(ctx.body, 'edit')
  const content = body.content ?? message.content
  const embeds = body.embeds ?? message.embeds
  if (content === '' && embeds.length === 0) throw apiErrors.emptyMessage()
  ctx.mutations.editMessage(message, { content, embeds })
  return ok(viewMessage(ctx, message))
}

export const deleteMessage: RouteHandler = (ctx) => {
  const { permissions } = channelFor(ctx, param(ctx, 'channel_id'))
  const message = messageFor(ctx, param(ctx, 'channel_id'), param(ctx, 'message_id'))
  const own = message.authorId === ctx.bot.user.id
  if (!own && !hasPermission(permissions, Permission.ManageMessages)) throw apiErrors.missingPermissions()
  ctx.mutations.deleteMessage(message)
  return noContent
}

export const putOwnReaction: RouteHandler = (ctx) => {
  const { permissions } = channelFor(ctx, param(ctx, 'channel_id'))
  const message = messageFor(ctx, param(ctx, 'channel_id'), param(ctx, 'message_id'))
  const emoji = parseEmoji(param(ctx, 'emoji'))
  if (!hasPermission(permissions, Permission.ReadMessageHistory | Permission.AddReactions)) {
    throw apiErrors.missingPermissions()
  }
  ctx.mutations.addReaction(message, ctx.bot.user.id, emoji)
  return noContent
}

export const deleteOwnReaction: RouteHandler = (ctx) => {
  channelFor(ctx, param(ctx, 'channel_id'))
  const message = messageFor(ctx, param(ctx, 'channel_id'), param(ctx, 'message_id'))
  ctx.mutations.removeReaction(message, ctx.bot.user.id, parseEmoji(param(ctx, 'emoji')))
  return noContent
}

export const triggerTyping: RouteHandler = (ctx) => {
  const { permissions, channel } = channelFor(ctx, param(ctx, 'channel_id'))
  if (!hasPermission(permissions, Permission.SendMessages)) throw apiErrors.missingPermissions()
  ctx.mutations.typing(channel.id, ctx.bot.user.id)
  return noContent
}

/**
 * What a reply answers. Discord looks the message up in the reference's channel (the request's when not given):
 * another channel named is refused; a message not there is refused unless fail_if_not_exists is false, when
 * the message goes out as a plain one.
 */
function repliedMessage(
  ctx: RestContext,
  channelId: string,
  reference: NonNullable<MessageBody['reference']>,
): MessageRecord['replyTo'] {
  if (reference.channelId !== null && reference.channelId !== channelId) {
    throw invalidFormBody(
      'message_reference',
      'REPLIES_CANNOT_REFERENCE_OTHER_CHANNEL',
      'Cannot reply to a message from a different channel',
    )
  }
  const replied = ctx.world.messagesOf(channelId).find((m) => m.id === reference.messageId)
  if (replied) return { messageId: replied.id, authorId: replied.authorId }
  if (!reference.failIfNotExists) return null
  throw invalidFormBody('message_reference', 'REPLIES_UNKNOWN_MESSAGE', 'Unknown message')
}

/** Unicode emoji as is, custom ones as `name:id`; the fake has no custom emojis, so those are unknown. */
function parseEmoji(raw: string): { id: string | null; name: string } {
  if (raw === '' || /^[\w~-]+:\d+$/.test(raw) || /^[\x20-\x7e]+$/.test(raw)) throw apiErrors.unknownEmoji()
  return { id: null, name: raw }
}

/** Content is the app's to read with the Message Content intent, or when it wrote or is mentioned in it. */
function viewMessage(ctx: RestContext, message: MessageRecord): APIMessage {
  const botId = ctx.bot.user.id
  const canRead =
    appHasFlag(ctx.bot, 'content') || message.authorId === botId || mentionedUserIds(message.content).includes(botId)
  return withOwnReactions(toApiMessage(ctx.world, message, canRead), message, botId)
}
