import { createRoute, z } from '@hono/zod-openapi'
import type { RpcResult } from '../../contract.ts'
import { messageNonce } from '../../discord/message-nonce.ts'
import { AppError, outcomeUnknown } from '../../errors.ts'
import { notInGuild } from '../../pool/bot-cache.ts'
import { wasCutOff } from '../../pool/remote.ts'
import { MEMBERS_LIMIT, MESSAGES_LIMIT } from '../query.ts'
import {
  Channel,
  ERRORS,
  errorResponses,
  idempotencyHeaders,
  Guild,
  limitParam,
  Member,
  Message,
  SendMessageBody,
  Snowflake,
  successHeader,
} from '../schemas.ts'
import { absoluteUrl, createRouter, nextLink, sendJsonText, unwrap } from './router.ts'

const security = [{ session: [] }]
const listOf = (schema: z.ZodType, description: string, withLink = false) => ({
  description,
  content: { 'application/json': { schema: z.array(schema) } },
  ...(withLink
    ? {
        headers: {
          Link: successHeader('When there is more: `<absolute URL of the next page>; rel="next"` (RFC 8288)', false),
        },
      }
    : {}),
})
const notInGuild403 = 'The bot is not in this guild (Missing Access, as Discord answers 50001)'

const guilds = createRoute({
  method: 'get',
  path: '/api/guilds',
  operationId: 'listGuilds',
  tags: ['read'],
  summary: "The bot's guilds",
  description: "Answered from the list the bot keeps fresh from Discord's gateway: no Discord call.",
  security,
  responses: {
    200: listOf(Guild, 'Guilds'),
    ...errorResponses({ 401: ERRORS.session401, 503: ERRORS.botGone503, 504: ERRORS.worker504 }),
  },
})

const channels = createRoute({
  method: 'get',
  path: '/api/channels',
  operationId: 'listChannels',
  tags: ['read'],
  summary: "A guild's channels",
  description:
    "In position order, from the bot's gateway cache: no Discord call. `guildId` may be left out when the bot is in exactly one guild.",
  security,
  request: {
    query: z.object({
      guildId: Snowflake.optional().openapi({
        param: { description: 'The guild; optional when the bot is in exactly one' },
      }),
    }),
  },
  responses: {
    200: listOf(Channel, 'Channels'),
    ...errorResponses({
      400: 'guildId is not a snowflake, or is needed because the bot is in several guilds',
      401: ERRORS.session401,
      403: notInGuild403,
      503: ERRORS.botGone503,
      504: ERRORS.worker504,
    }),
  },
})

const members = createRoute({
  method: 'get',
  path: '/api/members',
  operationId: 'listMembers',
  tags: ['read'],
  summary: "A guild's members",
  description:
    'By ascending id, paging through Discord as needed; needs the GuildMembers intent. `Link` holds the next page.',
  security,
  request: {
    query: z.object({
      guildId: Snowflake.openapi({ param: { description: 'The guild' } }),
      limit: limitParam(MEMBERS_LIMIT, 'members'),
      after: Snowflake.optional().openapi({
        param: { description: 'Members with a larger id than this (the cursor of `Link`)' },
      }),
    }),
  },
  responses: {
    200: listOf(Member, 'Members', true),
    ...errorResponses({
      400: 'guildId missing or not a snowflake, limit not an integer from 1 to 1000, or after not a snowflake',
      401: ERRORS.session401,
      403: `${notInGuild403}; or the application lacks the GuildMembers intent`,
      429: ERRORS.discord429,
      502: ERRORS.discord502,
      503: ERRORS.discord503,
      504: ERRORS.discord504,
    }),
  },
})

const messages = createRoute({
  method: 'get',
  path: '/api/messages',
  operationId: 'listMessages',
  tags: ['read'],
  summary: "A channel's messages",
  description:
    'Newest first; above 100 the bot pages Discord with `before`. The newest messages are kept fresh from gateway events, so a repeated read makes no Discord call. Needs the MessageContent intent. `Link` holds the next page.',
  security,
  request: {
    query: z.object({
      channelId: Snowflake.openapi({ param: { description: 'The channel' } }),
      limit: limitParam(MESSAGES_LIMIT, 'messages'),
      before: Snowflake.optional().openapi({
        param: { description: 'Messages older than this id (the cursor of `Link`)' },
      }),
    }),
  },
  responses: {
    200: listOf(Message, 'Messages', true),
    ...errorResponses({
      400: 'channelId missing or not a snowflake, limit not an integer from 1 to 500, or before not a snowflake',
      401: ERRORS.session401,
      403: 'The bot cannot see the channel (50001), or the application lacks the MessageContent intent',
      404: 'Unknown channel',
      429: ERRORS.discord429,
      502: ERRORS.discord502,
      503: ERRORS.discord503,
      504: ERRORS.discord504,
    }),
  },
})

const sendMessage = createRoute({
  method: 'post',
  path: '/api/messages',
  operationId: 'sendMessage',
  tags: ['write'],
  summary: 'Send a message as the bot',
  description:
    'Content of 1–2000 characters (Unicode code points, as Discord counts them). Users named as `<@id>` are pinged; `@everyone`, `@here` and roles never are (Discord gets `allowed_mentions: {"parse": ["users"]}`). With an `Idempotency-Key`, a retry within IDEMPOTENCY_TTL_MS (24 h by default) gets the first answer again (`Idempotent-Replayed: true`) and sends nothing; a 5xx is not kept, and the retry that runs again carries the same Discord nonce, so it cannot post twice.',
  security,
  request: {
    headers: idempotencyHeaders,
    body: {
      required: true,
      description: 'The channel and the text',
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
        'Idempotent-Replayed': successHeader(
          '`true` when this is the answer of an earlier request with the same Idempotency-Key, sent again',
          false,
        ),
      },
      content: { 'application/json': { schema: Message } },
    },
    ...errorResponses({
      400: `${ERRORS.body400}, or Discord rejected the message`,
      401: ERRORS.session401,
      403: 'The bot cannot see the channel (50001) or may not send there (50013)',
      404: 'Unknown channel',
      413: ERRORS.body413,
      415: ERRORS.body415,
      422: ERRORS.idempotency422,
      429: ERRORS.discord429,
      502: ERRORS.discord502,
      503: ERRORS.discord503,
      504: 'No answer in time (`outcome_unknown`): the message may or may not have been sent; retry with the same Idempotency-Key',
    }),
  },
})

/**
 * The worker answers 10004 for a guild missing from its client's cache, which lists every guild the bot is in:
 * the same 403 as the gateway's own check, whichever of the two saw it first.
 */
function unwrapInGuild<T>(result: RpcResult<T>): T {
  if (!result.ok && result.discordCode === 10004) throw notInGuild()
  return unwrap(result)
}

/** Where a sent message can be read back: the one message older than its id + 1, in its channel. */
function messageLocation(requestUrl: string, sent: string, publicUrl: string | null): string {
  const { id, channelId } = JSON.parse(sent) as { id: string; channelId: string }
  const query = new URLSearchParams({ channelId, before: String(BigInt(id) + 1n), limit: '1' })
  return absoluteUrl(requestUrl, `/api/messages?${query}`, publicUrl)
}

/**
 * The routes that read from (or write through) the session's bot. Mounted behind requireSession + requireBot.
 * `publicUrl`: PUBLIC_URL, the base of the absolute URLs in Link and Location (null: the request's origin).
 */
export function readRoutes(publicUrl: string | null) {
  return (
    createRouter()
      // guild and channel lists come from the gateway's cache the worker keeps fresh; the RPC only until it is filled
      .openapi(guilds, async (c) => {
        const bot = c.get('bot')
        return sendJsonText(c, bot.cache.guilds() ?? unwrap(await bot.call((worker) => worker.listGuilds())))
      })
      .openapi(channels, async (c) => {
        const guildId = c.req.valid('query').guildId ?? null
        const bot = c.get('bot')
        return sendJsonText(
          c,
          bot.cache.channels(guildId) ?? unwrapInGuild(await bot.call((worker) => worker.listChannels(guildId))),
        )
      })
      .openapi(members, async (c) => {
        const { guildId, limit, after } = c.req.valid('query')
        const bot = c.get('bot')
        if (bot.cache.inGuild(guildId) === false) throw notInGuild()
        const page = unwrapInGuild(await bot.call((worker) => worker.listMembers(guildId, limit, after ?? null)))
        return sendJsonText(c, page.body, nextLink(c.req.url, 'after', page.nextCursor, publicUrl))
      })
      .openapi(messages, async (c) => {
        const { channelId, limit, before } = c.req.valid('query')
        const bot = c.get('bot')
        // the newest messages: as the worker last answered them, while its events say they still hold
        const kept = before === undefined ? bot.cache.messages(channelId, limit) : null
        const page = kept ?? unwrap(await bot.call((worker) => worker.listMessages(channelId, limit, before ?? null)))
        if (!kept && before === undefined) bot.cache.keepMessages(channelId, page)
        return sendJsonText(c, page.body, nextLink(c.req.url, 'before', page.nextCursor, publicUrl))
      })
      .openapi(sendMessage, async (c) => {
        const { channelId, content } = c.req.valid('json')
        const bot = c.get('bot')
        const nonce = messageNonce(bot.identity.botId, c.req.valid('header')['idempotency-key'])
        const sent = await bot
          .call((worker) => worker.sendMessage({ channelId, content, nonce }))
          .catch((err: unknown) => {
            // the worker took the send and never answered, or died answering: it may have reached Discord
            throw (err instanceof AppError && err.code === 'bot_timeout') || wasCutOff(err)
              ? outcomeUnknown('bot')
              : err
          })
        // the worker's Discord deadline passed (504): Discord may have created the message before it
        if (!sent.ok && sent.status === 504) throw outcomeUnknown('discord')
        const body = unwrap(sent)
        return sendJsonText(c, body, { location: messageLocation(c.req.url, body, publicUrl) }, 201)
      })
  )
}
