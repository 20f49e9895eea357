import { createRoute, z } from '@hono/zod-openapi'
import type { RpcResult } from '../../contract.ts'
import { notInGuild } from '../../pool/bot-cache.ts'
import { MEMBERS_LIMIT, MESSAGES_LIMIT } from '../query.ts'
import {
  Channel,
  ERRORS,
  errorResponses,
  Guild,
  limitParam,
  Member,
  Message,
  Snowflake,
  successHeader,
} from '../schemas.ts'
import { sendJsonTextAfterAwait } from '../after-await-body.ts'
import { createRouter, nextLink, sendJsonText, unwrap } from './router.ts'

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
    'By ascending id, paging through Discord as needed; needs the GuildMembers intent. A page read again is answered from the gateway without a Discord call until a member event (join, leave, update) says the guild changed, at most 60 s. `Link` holds the next page.',
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

/**
 * The worker answers 10004 for a guild missing from its client's cache, which lists every guild the bot is in:
 * the same 403 as the gateway's own check, whichever of the two saw it first.
 */
function unwrapInGuild<T>(result: RpcResult<T>): T {
  if (!result.ok && result.discordCode === 10004) throw notInGuild()
  return unwrap(result)
}

/**
 * The routes that read through the session's bot (its writes are in writes.ts). Mounted behind requireSession +
 * requireBot. `publicUrl`: PUBLIC_URL, the base of the absolute URLs in Link (null: the request's origin).
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
        const query = { guildId, limit, after: after ?? null }
        // a page the worker answered before, while its member events say it still holds
        const kept = bot.cache.members(query)
        const page = kept ?? unwrapInGuild(await bot.call((worker) => worker.listMembers(guildId, limit, query.after)))
        if (!kept) bot.cache.keepMembers(query, page)
        const link = nextLink(c.req.url, 'after', page.nextCursor, publicUrl)
        return kept ? sendJsonText(c, page.body, link) : sendJsonTextAfterAwait(c, page.body, link)
      })
      .openapi(messages, async (c) => {
        const { channelId, limit, before } = c.req.valid('query')
        const bot = c.get('bot')
        // the newest messages: as the worker last answered them, while its events say they still hold
        const kept = before === undefined ? bot.cache.messages(channelId, limit) : null
        const page = kept ?? unwrap(await bot.call((worker) => worker.listMessages(channelId, limit, before ?? null)))
        if (!kept && before === undefined) bot.cache.keepMessages(channelId, page)
        const link = nextLink(c.req.url, 'before', page.nextCursor, publicUrl)
        // a kept page is answered on the request's tick; one from the worker came after an await
        return kept ? sendJsonText(c, page.body, link) : sendJsonTextAfterAwait(c, page.body, link)
      })
  )
}
