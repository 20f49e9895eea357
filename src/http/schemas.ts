import { z } from '@hono/zod-openapi'

/** The shapes of the API, shared by validation and by /openapi.json. */

export const Snowflake = z
  .string()
  .regex(/^\d{17,20}$/, 'must be a Discord snowflake (17–20 digits)')
  .openapi({ example: '1104455672845533184' })

export const ErrorBody = z
  .object({ error: z.string(), code: z.string() })
  .openapi('Error', { example: { error: 'Unknown guild', code: 'not_found' } })

export const LoginBody = z
  .object({
    // Real bot tokens are ~70 characters; anything far longer is not a token.
    token: z.string().min(1, 'token must not be empty').max(200, 'token is too long'),
  })
  .openapi('LoginRequest')

export const Intents = z.object({ guildMembers: z.boolean(), messageContent: z.boolean() })

export const LoginResponse = z
  .object({
    sessionId: z.string(),
    message: z.literal('Logged in successfully'),
    bot: z.object({ id: Snowflake, username: z.string(), avatar: z.string().nullable() }),
    intents: Intents,
  })
  .openapi('LoginResponse')

export const MessageResponse = z.object({ message: z.string() })

export const SessionInfo = z
  .object({
    sessionLabel: z.string(),
    createdAt: z.string(),
    bot: z.object({ id: Snowflake, username: z.string(), avatar: z.string().nullable() }),
    intents: Intents,
    worker: z.object({ state: z.string(), ready: z.boolean(), guildCount: z.number(), gatewayPingMs: z.number() }),
  })
  .openapi('Session')

export const Guild = z
  .object({ id: Snowflake, name: z.string(), icon: z.string().nullable(), memberCount: z.number() })
  .openapi('Guild')

export const Channel = z
  .object({
    id: Snowflake,
    name: z.string(),
    type: z.string().openapi({ example: 'text' }),
    parentId: Snowflake.nullable(),
    position: z.number(),
    topic: z.string().nullable(),
    nsfw: z.boolean(),
  })
  .openapi('Channel')

export const Member = z
  .object({
    id: Snowflake,
    username: z.string(),
    globalName: z.string().nullable(),
    displayName: z.string(),
    avatar: z.string().nullable(),
    bot: z.boolean(),
    roles: z.array(Snowflake),
    joinedAt: z.string(),
  })
  .openapi('Member')

export const Message = z
  .object({
    id: Snowflake,
    channelId: Snowflake,
    author: z.object({
      id: Snowflake,
      username: z.string(),
      globalName: z.string().nullable(),
      avatar: z.string().nullable(),
      bot: z.boolean(),
    }),
    content: z.string(),
    timestamp: z.string(),
    editedTimestamp: z.string().nullable(),
    attachments: z.array(
      z.object({ id: Snowflake, filename: z.string(), size: z.number(), url: z.string(), contentType: z.string().nullable() }),
    ),
    embedCount: z.number(),
  })
  .openapi('Message')

export const SendMessageBody = z
  .object({
    channelId: Snowflake,
    // Discord's own limit for a message's content.
    content: z.string().min(1, 'content must not be empty').max(2000, 'content must be 2000 characters or fewer'),
  })
  .openapi('SendMessageRequest')

/** Error responses every session route can give; declared once so /openapi.json lists them. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: ERROR_DESCRIPTIONS[status] ?? 'Error', content: { 'application/json': { schema: ErrorBody } } },
    ]),
  )

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input',
  401: 'Missing or unknown session, or Discord rejected the token',
  403: 'The bot may not see or do this (or lacks a privileged intent)',
  404: 'Unknown guild, channel, member or message',
  413: 'Body too large',
  429: 'Discord rate limit: see Retry-After',
  502: 'Discord failed',
  503: 'The bot is unavailable, or the service is at capacity',
  504: 'Discord or the bot did not answer in time',
}
