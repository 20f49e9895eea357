import { createRoute, z } from '@hono/zod-openapi'
import type { BotWorkerApi, JsonText, RpcResult } from '../../contract.ts'
import { messageNonce } from '../../discord/message-nonce.ts'
import { AppError, outcomeUnknown } from '../../errors.ts'
import type { BotHandle } from '../../pool/bot-types.ts'
import { wasCutOff } from '../../pool/remote.ts'
import { ERRORS, errorResponses, idempotencyHeaders, Message, Snowflake, successHeader } from '../schemas.ts'
import { ChannelQuery, EditMessageBody, EmojiParam, SendMessageBody } from '../write-schemas.ts'
import { absoluteUrl, createRouter, sendJsonText, unwrap } from './router.ts'

const security = [{ session: [] }]
const tags = ['write']

/** What each write can leave undecided when no answer comes, for the 504 `outcome_unknown` message. */
type Undecided = { done: string; safe: string }
const UNDECIDED = {
  edit: { done: 'the edit may or may not have been made', safe: 'sending the same edit again is safe' },
  delete: {
    done: 'the message may or may not have been deleted',
    safe: 'retrying is safe (a 404 then means it was)',
  },
  reaction: { done: 'the reaction may or may not have changed', safe: 'retrying is safe' },
  typing: { done: 'the typing indicator may or may not show', safe: 'retrying is safe' },
} satisfies Record<string, Undecided>

/**
 * A write's RPC. No answer in time, from the worker (bot_timeout, or it died answering) or from Discord (the
 * worker's own deadline, a 504 failure), does not mean nothing happened: Discord may have acted. So the answer
 * is 504 `outcome_unknown`, never a plain timeout a client would take for "not done".
 */
async function callWrite<T>(
  bot: BotHandle,
  call: (worker: BotWorkerApi) => Promise<RpcResult<T>>,
  undecided?: Undecided,
): Promise<T> {
  const result = await bot.call(call).catch((err: unknown) => {
    throw (err instanceof AppError && err.code === 'bot_timeout') || wasCutOff(err)
      ? outcomeUnknown('bot', undecided)
      : err
  })
  if (!result.ok && result.status === 504) throw outcomeUnknown('discord', undecided)
  return unwrap(result)
}

const messageParams = z.object({
  messageId: Snowflake.openapi({ param: { description: 'The message' } }),
})
const reactionParams = messageParams.extend({ emoji: EmojiParam })
const outcome504 = (what: string) => `No answer in time (\`outcome_unknown\`): ${what}`
const notFound404 = 'Unknown channel or message'
/** The errors every write to Discord can meet. */
const writeErrors = (described: Record<number, string>) =>
  errorResponses({
    401: ERRORS.session401,
    422: ERRORS.idempotency422,
    429: ERRORS.discord429,
    502: ERRORS.discord502,
    503: ERRORS.discord503,
    ...described,
  })
/** On every success: a replayed answer (same Idempotency-Key and request) says so. */
const replayed = {
  'Idempotent-Replayed': successHeader(
    '`true` when this is the answer of an earlier request with the same Idempotency-Key, sent again',
    false,
  ),
}
const noContent = (description: string) => ({ 204: { description, headers: replayed } })

const sendMessage = createRoute({
  method: 'post',
  path: '/api/messages',
  operationId: 'sendMessage',
  tags,
  summary: 'Send a message as the bot',
  description:
    'Content of 1–2000 characters (Unicode code points, as Discord counts them), up to 10 embeds, or both; optionally a reply (`replyTo`). Unless `allowedMentions` says otherwise, users named as `<@id>` are pinged and `@everyone`, `@here` and roles never are (Discord gets `allowed_mentions: {"parse": ["users"]}`). Every field is checked before Discord is called. With an `Idempotency-Key`, a retry within IDEMPOTENCY_TTL_MS (24 h) gets the first answer again (`Idempotent-Replayed: true`) and sends nothing.',
  security,
  request: {
    headers: idempotencyHeaders,
    body: {
      required: true,
      description: 'The channel, and the content and/or embeds',
      content: { 'application/json': { schema: SendMessageBody } },
    },
  },
  responses: {
    201: {
      description: 'Sent',
      headers: {
        Location: successHeader(
          'A URL that reads the message back: `/api/messages?channelId=…&before=<id + 1>&limit=1`',
        ),
        ...replayed,
      },
      content: { 'application/json': { schema: Message } },
    },
    ...writeErrors({
      400: `${ERRORS.body400}, or Discord rejected the message (50035, with Discord's field; \`replyTo\` not a message of this channel)`,
      403: 'The bot cannot see the channel (50001) or may not send there (50013)',
      404: 'Unknown channel',
      413: ERRORS.body413,
      415: ERRORS.body415,
      504: outcome504('the message may or may not have been sent; retry with the same Idempotency-Key'),
    }),
  },
})

const editMessage = createRoute({
  method: 'patch',
  path: '/api/messages/{messageId}',
  operationId: 'editMessage',
  tags,
  summary: "Edit one of the bot's own messages",
  description:
    'New content, new embeds (replacing all of them), or both. Only messages the bot wrote: Discord refuses any other (50005), and so do we, with 403.',
  security,
  request: {
    headers: idempotencyHeaders,
    params: messageParams,
    body: {
      required: true,
      description: 'The channel the message is in, and what changes',
      content: { 'application/json': { schema: EditMessageBody } },
    },
  },
  responses: {
    200: {
      description: 'The message as edited',
      headers: replayed,
      content: { 'application/json': { schema: Message } },
    },
    ...writeErrors({
      400: `${ERRORS.body400}, or Discord rejected the edit (50035; 50006 when nothing would be left)`,
      403: 'Someone else wrote the message (50005), or the bot cannot see the channel (50001)',
      404: notFound404,
      413: ERRORS.body413,
      415: ERRORS.body415,
      504: outcome504(UNDECIDED.edit.done),
    }),
  },
})

const deleteMessage = createRoute({
  method: 'delete',
  path: '/api/messages/{messageId}',
  operationId: 'deleteMessage',
  tags,
  summary: 'Delete a message',
  description: "The bot's own, or another's where the bot has Manage Messages (else 403, Discord's 50013).",
  security,
  request: { headers: idempotencyHeaders, params: messageParams, query: ChannelQuery },
  responses: {
    ...noContent('Deleted'),
    ...writeErrors({
      400: 'messageId or channelId is not a snowflake, or channelId is missing',
      403: "Another's message without Manage Messages (50013), or the bot cannot see the channel (50001)",
      404: notFound404,
      504: outcome504(UNDECIDED.delete.done),
    }),
  },
})

const reactionRoute = (method: 'put' | 'delete') =>
  createRoute({
    method,
    path: '/api/messages/{messageId}/reactions/{emoji}',
    operationId: method === 'put' ? 'addReaction' : 'removeReaction',
    tags,
    summary: method === 'put' ? 'React to a message as the bot' : "Remove the bot's reaction",
    description:
      method === 'put'
        ? 'Adding a reaction the bot already made changes nothing (still 204). Needs Add Reactions and Read Message History.'
        : 'Removing a reaction the bot has not made changes nothing (still 204).',
    security,
    request: { headers: idempotencyHeaders, params: reactionParams, query: ChannelQuery },
    responses: {
      ...noContent(method === 'put' ? 'Reacted' : 'Removed'),
      ...writeErrors({
        400: 'messageId or channelId is not a snowflake, channelId is missing, the emoji is neither one unicode emoji nor `name:id`, or Discord does not know the emoji (10014: 400, as Discord answers it, since the emoji is what was sent wrong)',
        403: 'The bot may not add reactions there (50013), or cannot see the channel (50001)',
        404: notFound404,
        504: outcome504(UNDECIDED.reaction.done),
      }),
    },
  })

const triggerTyping = createRoute({
  method: 'post',
  path: '/api/channels/{channelId}/typing',
  operationId: 'triggerTyping',
  tags,
  summary: 'Show the bot as typing',
  description: 'Discord shows "<bot> is typing…" for about 10 seconds, or until the bot sends a message.',
  security,
  request: {
    headers: idempotencyHeaders,
    params: z.object({ channelId: Snowflake.openapi({ param: { description: 'The channel' } }) }),
  },
  responses: {
    ...noContent('Typing shown'),
    ...writeErrors({
      400: 'channelId is not a snowflake',
      403: 'The bot may not send messages there (50013), or cannot see the channel (50001)',
      404: 'Unknown channel',
      504: outcome504(UNDECIDED.typing.done),
    }),
  },
})

/** Where a sent message can be read back: the one message older than its id + 1, in its channel. */
function messageLocation(requestUrl: string, sent: JsonText, publicUrl: string | null): string {
  const { id, channelId } = JSON.parse(sent) as { id: string; channelId: string }
  const query = new URLSearchParams({ channelId, before: String(BigInt(id) + 1n), limit: '1' })
  return absoluteUrl(requestUrl, `/api/messages?${query}`, publicUrl)
}

/** A send request whose body passed SendMessageBody; `url` is the request's own. */
export type SendRequest = { url: string; message: z.infer<typeof SendMessageBody>; idempotencyKey: string | undefined }

/**
 * A send as the session's bot: the message as JSON and where to read it back (under `publicUrl`, PUBLIC_URL,
 * when set). The route and the short path (src/http/fast-sends.ts) both send through here; errors are thrown.
 */
export async function sendAsBot(
  bot: BotHandle,
  { url, message, idempotencyKey }: SendRequest,
  publicUrl: string | null,
): Promise<{ body: JsonText; location: string }> {
  const { channelId, ...rest } = message
  const nonce = messageNonce(bot.identity.botId, idempotencyKey)
  const body = await callWrite(bot, (worker) => worker.sendMessage({ channelId, ...rest, nonce }))
  return { body, location: messageLocation(url, body, publicUrl) }
}

/**
 * The routes that act as the session's bot. Mounted behind requireSession + requireBot + guardInvalidBudget.
 * `publicUrl`: PUBLIC_URL, the base of the absolute URL in Location (null: the request's origin).
 */
export function writeRoutes(publicUrl: string | null) {
  const addReaction = reactionRoute('put')
  const removeReaction = reactionRoute('delete')
  return createRouter()
    .openapi(sendMessage, async (c) => {
      const { url } = c.req
      const request = { url, message: c.req.valid('json'), idempotencyKey: c.req.valid('header')['idempotency-key'] }
      const sent = await sendAsBot(c.get('bot'), request, publicUrl)
      return sendJsonText(c, sent.body, { location: sent.location }, 201)
    })
    .openapi(editMessage, async (c) => {
      const { messageId } = c.req.valid('param')
      const edit = { ...c.req.valid('json'), messageId }
      const body = await callWrite(c.get('bot'), (worker) => worker.editMessage(edit), UNDECIDED.edit)
      return sendJsonText(c, body)
    })
    .openapi(deleteMessage, async (c) => {
      const ref = { ...c.req.valid('query'), ...c.req.valid('param') }
      await callWrite(c.get('bot'), (worker) => worker.deleteMessage(ref), UNDECIDED.delete)
      return c.body(null, 204)
    })
    .openapi(addReaction, async (c) => {
      const reaction = { ...c.req.valid('query'), ...c.req.valid('param') }
      await callWrite(c.get('bot'), (worker) => worker.addReaction(reaction), UNDECIDED.reaction)
      return c.body(null, 204)
    })
    .openapi(removeReaction, async (c) => {
      const reaction = { ...c.req.valid('query'), ...c.req.valid('param') }
      await callWrite(c.get('bot'), (worker) => worker.removeReaction(reaction), UNDECIDED.reaction)
      return c.body(null, 204)
    })
    .openapi(triggerTyping, async (c) => {
      const { channelId } = c.req.valid('param')
      await callWrite(c.get('bot'), (worker) => worker.triggerTyping(channelId), UNDECIDED.typing)
      return c.body(null, 204)
    })
}
