import { createRoute, z } from '@hono/zod-openapi'
import { IDEMPOTENCY_KEY, messageNonce } from '../../discord/message-nonce.ts'
import { AppError, outcomeUnknown } from '../../errors.ts'
import { Channel, errorResponses, Guild, Member, Message, SendMessageBody, Snowflake } from '../schemas.ts'
import { createRouter, nextLink, sendJsonText, unwrap } from './router.ts'

const security = [{ session: [] }]
const listOf = (schema: z.ZodType, description: string, withLink = false) => ({
  description,
  content: { 'application/json': { schema: z.array(schema) } },
  ...(withLink ? { headers: { link: { description: 'Next page: `<url>; rel="next"`', schema: { type: 'string' as const } } } } : {}),
})

const guilds = createRoute({
  method: 'get',
  path: '/api/guilds',
  tags: ['read'],
  summary: "The bot's guilds",
  security,
  responses: { 200: listOf(Guild, 'Guilds'), ...errorResponses(401, 503, 504) },
})

const channels = createRoute({
  method: 'get',
  path: '/api/channels',
  tags: ['read'],
  summary: "A guild's channels (guildId may be left out when the bot is in one guild)",
  security,
  request: { query: z.object({ guildId: Snowflake.optional() }) },
  responses: { 200: listOf(Channel, 'Channels'), ...errorResponses(400, 401, 403, 404, 503, 504) },
})

const members = createRoute({
  method: 'get',
  path: '/api/members',
  tags: ['read'],
  summary: "A guild's members, by ascending id; pages through Discord as needed",
  security,
  request: {
    query: z.object({
      guildId: Snowflake,
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      after: Snowflake.optional(),
    }),
  },
  responses: { 200: listOf(Member, 'Members', true), ...errorResponses(400, 401, 403, 404, 429, 502, 503, 504) },
})

const messages = createRoute({
  method: 'get',
  path: '/api/messages',
  tags: ['read'],
  summary: "A channel's messages, newest first; above 100 the bot pages Discord with `before`",
  security,
  request: {
    query: z.object({
      channelId: Snowflake,
      limit: z.coerce.number().int().min(1).max(500).default(100),
      before: Snowflake.optional(),
    }),
  },
  responses: { 200: listOf(Message, 'Messages', true), ...errorResponses(400, 401, 403, 404, 429, 502, 503, 504) },
})

const sendMessage = createRoute({
  method: 'post',
  path: '/api/messages',
  tags: ['write'],
  summary: 'Send a message as the bot',
  security,
  request: {
    headers: z.object({
      'idempotency-key': z
        .string()
        .regex(IDEMPOTENCY_KEY, 'Idempotency-Key must be 1 to 255 printable ASCII characters')
        .optional()
        .openapi({ description: 'Sending again with the same key (within a few minutes) returns the first message instead of sending a second' }),
    }),
    body: { required: true, content: { 'application/json': { schema: SendMessageBody } } },
  },
  responses: {
    201: { description: 'Sent', content: { 'application/json': { schema: Message } } },
    ...errorResponses(400, 401, 403, 404, 413, 429, 502, 503, 504),
  },
})

/** The routes that read from (or write through) the session's bot. Mounted behind requireSession + requireBot. */
export function readRoutes() {
  return createRouter()
    // guild and channel lists come from the gateway's cache the worker keeps fresh; the RPC only until it is filled
    .openapi(guilds, async (c) => {
      const bot = c.get('bot')
      return sendJsonText(c, bot.cache.guilds() ?? unwrap(await bot.call((worker) => worker.listGuilds())))
    })
    .openapi(channels, async (c) => {
      const guildId = c.req.valid('query').guildId ?? null
      const bot = c.get('bot')
      return sendJsonText(c, bot.cache.channels(guildId) ?? unwrap(await bot.call((worker) => worker.listChannels(guildId))))
    })
    .openapi(members, async (c) => {
      const { guildId, limit, after } = c.req.valid('query')
      const page = unwrap(await c.get('bot').call((bot) => bot.listMembers(guildId, limit, after ?? null)))
      return sendJsonText(c, page.body, nextLink(c.req.url, 'after', page.nextCursor))
    })
    .openapi(messages, async (c) => {
      const { channelId, limit, before } = c.req.valid('query')
      const bot = c.get('bot')
      // the newest messages: as the worker last answered them, while its events say they still hold
      const kept = before === undefined ? bot.cache.messages(channelId, limit) : null
      const page = kept ?? unwrap(await bot.call((worker) => worker.listMessages(channelId, limit, before ?? null)))
      if (!kept && before === undefined) bot.cache.keepMessages(channelId, limit, page)
      return sendJsonText(c, page.body, nextLink(c.req.url, 'before', page.nextCursor))
    })
    .openapi(sendMessage, async (c) => {
      const { channelId, content } = c.req.valid('json')
      const bot = c.get('bot')
      const nonce = messageNonce(bot.identity.botId, c.req.valid('header')['idempotency-key'])
      const sent = await bot.call((worker) => worker.sendMessage({ channelId, content, nonce })).catch((err: unknown) => {
        // the worker took the send and never answered: it may have reached Discord
        throw err instanceof AppError && err.code === 'bot_timeout' ? outcomeUnknown('bot') : err
      })
      // the worker's Discord deadline passed (504): Discord may have created the message before it
      if (!sent.ok && sent.status === 504) throw outcomeUnknown('discord')
      return sendJsonText(c, unwrap(sent), {}, 201)
    })
}
