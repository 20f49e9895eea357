import { z } from '@hono/zod-openapi'
import type { ErrorCode } from '../errors.ts'
import { IDEMPOTENCY_KEY } from '../discord/message-nonce.ts'
import { limitProblem, readLimit, SNOWFLAKE, type LimitRange } from './query.ts'

/** The shapes of the API, shared by validation and by /openapi.json. */

export const Snowflake = z
  .string()
  .regex(SNOWFLAKE, 'must be a Discord snowflake (17–20 digits)')
  .openapi({ description: 'A Discord id (snowflake): 17–20 digits', example: '1104455672845533184' })

// documented, not validated: these come from Discord or our own clock, never from a client
const Timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-25T12:00:00.000Z' })
const Count = z.number().int().nonnegative()

/** Every `code` an error can carry; a Record so the compiler makes this list follow errors.ts's ErrorCode. */
const ERROR_CODES: Record<ErrorCode, string> = {
  bad_request: 'invalid JSON, field or query parameter, or Discord rejected the request (50035)',
  unauthorized: 'missing, unknown or expired session or admin token; or Discord rejected the bot token',
  invalid_token: 'at login, what was sent cannot be a bot token (shape, characters or length): nothing was started',
  forbidden:
    "Discord's 50001 Missing Access or 50013 Missing Permissions, a guild the bot is not in, or a privileged intent the application lacks",
  not_found: 'unknown route, channel, member, message or worker',
  method_not_allowed: 'wrong method for the route (`Allow` lists the right ones)',
  payload_too_large: 'body over BODY_LIMIT_BYTES',
  unsupported_media_type: 'a body that is not application/json',
  rate_limited:
    "Discord's rate limit would outlast the request's deadline, or too many login attempts from this client IP (`Retry-After`)",
  bot_invalid_requests:
    "this bot passed its share (INVALID_REQUEST_BOT_SHARE) of Discord's invalid-request budget: its Discord-bound calls are held off (`Retry-After`); other bots go on",
  discord_unavailable:
    "Discord answered 5xx or could not be reached; or calls held off near Discord's invalid-request ban",
  discord_timeout: 'Discord did not answer in time',
  bot_unavailable: "the bot's worker is restarting, failed or stopping",
  bot_timeout: "the bot's worker did not answer in time",
  outcome_unknown:
    'a send got no answer in time, so it may or may not have reached Discord; retrying with the same Idempotency-Key is safe',
  idempotency_key_reused:
    'the Idempotency-Key was already used by this bot for a different request (method, path or body) within 24 h',
  capacity_reached:
    'MAX_BOTS bots already run, or the bot already has MAX_SESSIONS_PER_BOT sessions (or MAX_WEBHOOKS_PER_BOT webhooks)',
  shutting_down: 'the service is shutting down',
  internal: 'a bug of ours; the details are in the log',
}
const codeList = Object.entries(ERROR_CODES)
  .map(([code, when]) => `- \`${code}\`: ${when}`)
  .join('\n')

export const ErrorBody = z
  .object({
    error: z.string().openapi({ description: 'What went wrong, for people' }),
    code: z
      .enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]])
      .openapi({ description: `A stable code, for programs:\n${codeList}` }),
  })
  .openapi('Error', {
    description: 'Every error has this shape; never a stack trace.',
    example: { error: 'Unknown channel', code: 'not_found' },
  })

export const LoginBody = z
  .object({
    // Real bot tokens are ~70 characters; anything far longer is not a token.
    token: z
      .string()
      .min(1, 'token must not be empty')
      .max(200, 'token is too long')
      .openapi({ description: "The bot's token from the Discord developer portal" }),
  })
  .openapi('LoginRequest')

export const Intents = z
  .object({
    guildMembers: z.boolean().openapi({ description: 'The GuildMembers privileged intent is on: /api/members works' }),
    messageContent: z
      .boolean()
      .openapi({ description: 'The MessageContent privileged intent is on: /api/messages works' }),
  })
  .openapi('Intents')

const BotUser = z
  .object({
    id: Snowflake,
    username: z.string(),
    avatar: z.string().nullable().openapi({ description: "Discord's avatar hash" }),
  })
  .openapi('BotUser')

export const LoginResponse = z
  .object({
    sessionId: z.string().openapi({ description: 'Send it as `Authorization: <sessionId>` on every other route' }),
    message: z.literal('Logged in successfully'),
    bot: BotUser,
    intents: Intents,
  })
  .openapi('LoginResponse')

export const MessageResponse = z.object({ message: z.string() }).openapi('Confirmation')

export const SessionInfo = z
  .object({
    sessionLabel: z.string().openapi({ description: 'The first characters of the session id, as logs show it' }),
    createdAt: Timestamp,
    bot: BotUser,
    intents: Intents,
    worker: z.object({
      state: z.string().openapi({ description: "The worker's supervision state (see the admin Worker)" }),
      ready: z.boolean(),
      guildCount: Count,
      gatewayPingMs: z
        .number()
        .nullable()
        .openapi({ description: 'Gateway heartbeat round trip; null until the first heartbeat' }),
    }),
  })
  .openapi('Session')

export const Guild = z
  .object({
    id: Snowflake,
    name: z.string(),
    icon: z.string().nullable().openapi({ description: "Discord's icon hash" }),
    memberCount: Count,
  })
  .openapi('Guild')

// The names workers/shapes.ts gives Discord's channel types; 'unknown' for a type newer than this list.
const CHANNEL_TYPES = [
  'text',
  'voice',
  'category',
  'announcement',
  'announcement_thread',
  'public_thread',
  'private_thread',
  'stage',
  'directory',
  'forum',
  'media',
  'unknown',
] as const

export const Channel = z
  .object({
    id: Snowflake,
    name: z.string(),
    type: z.enum(CHANNEL_TYPES),
    parentId: Snowflake.nullable().openapi({ description: 'The category it sits in' }),
    position: z.number().int(),
    topic: z.string().nullable(),
    nsfw: z.boolean(),
  })
  .openapi('Channel')

export const Member = z
  .object({
    id: Snowflake,
    username: z.string(),
    globalName: z.string().nullable(),
    displayName: z.string().openapi({ description: 'Nickname, else global name, else username' }),
    avatar: z.string().nullable(),
    bot: z.boolean(),
    roles: z.array(Snowflake),
    joinedAt: Timestamp,
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
    timestamp: Timestamp,
    editedTimestamp: Timestamp.nullable(),
    attachments: z.array(
      z.object({
        id: Snowflake,
        filename: z.string(),
        size: Count.openapi({ description: 'Bytes' }),
        url: z.string(),
        contentType: z.string().nullable(),
      }),
    ),
    embedCount: Count,
  })
  .openapi('Message')

/** A `limit` query parameter: digits only (query.ts), documented as the integer it is. */
export const limitParam = (range: LimitRange, what: string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const limit = readLimit(raw, range)
      if (limit === null) ctx.addIssue({ code: 'custom', message: limitProblem(range) })
      return limit ?? range.default
    })
    .openapi({
      type: 'integer',
      minimum: 1,
      maximum: range.max,
      default: range.default,
      description: `How many ${what}, 1–${range.max}`,
      param: { description: `How many ${what}, 1–${range.max} (default ${range.default}); digits only` },
    })

const header = (description: string) => ({ description, schema: { type: 'string' as const } })
/** Headers an error status always (or sometimes) carries, documented with the status. */
const ERROR_HEADERS: Partial<Record<number, { required: boolean; name: string; description: string }>> = {
  401: { required: true, name: 'WWW-Authenticate', description: 'The scheme to use: `Bearer`' },
  405: { required: true, name: 'Allow', description: 'The methods this path has' },
  429: { required: true, name: 'Retry-After', description: 'Seconds to wait before trying again' },
  503: { required: false, name: 'Retry-After', description: 'Seconds to wait, when the outage is expected to pass' },
}

/** An error response as documented: the Error body, the status's headers, and what it means on this route. */
export function errorResponse(status: number, description: string) {
  const extra = ERROR_HEADERS[status]
  return {
    description,
    ...(extra ? { headers: { [extra.name]: { ...header(extra.description), required: extra.required } } } : {}),
    content: { 'application/json': { schema: ErrorBody } },
  }
}

/** The error responses of a route, each with what it means there. */
export const errorResponses = (described: Record<number, string>) => ({
  ...Object.fromEntries(
    Object.entries(described).map(([status, description]) => [status, errorResponse(Number(status), description)]),
  ),
  ...INTERNAL_ERROR,
})

/** A bug of ours can surface on any route: one shared response (components.responses.InternalError, openapi.ts). */
export const INTERNAL_ERROR = { 500: { $ref: '#/components/responses/InternalError' } } as const

/** Descriptions several routes share, word for word true for each that uses them. */
export const ERRORS = {
  body400: 'Invalid JSON or a field out of its rules (the message names it)',
  body413: 'Body larger than BODY_LIMIT_BYTES',
  body415: 'The body is not sent as application/json',
  session401: 'Missing, unknown or expired session, or Discord rejected the bot token: log in again',
  botGone503: "The bot's worker is restarting (with Retry-After), failed, or stopping",
  discord429:
    "Discord's rate limit would outlast the request's deadline; or this bot passed its share of Discord's invalid-request budget (`bot_invalid_requests`, with Retry-After)",
  discord502: 'Discord answered 5xx or could not be reached',
  discord503:
    "The bot's worker is restarting (with Retry-After), failed, or stopping; or Discord calls are held off near Discord's invalid-request ban (with Retry-After)",
  discord504: "Discord, or the bot's worker, did not answer in time",
  worker504: "The bot's worker did not answer in time",
  idempotency422: 'The Idempotency-Key was already used by this bot, within 24 h, for a different method, path or body',
} as const

/**
 * The `Idempotency-Key` request header every POST, PATCH and DELETE behind a session accepts (declare it on each
 * such route with `request: { headers: idempotencyHeaders }` and document 422 with ERRORS.idempotency422).
 */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY, 'Idempotency-Key must be 1 to 255 printable ASCII characters')
    .optional()
    .openapi({
      description:
        'A retry with the same key and body within 24 h returns the first answer (same status and body, with `Idempotent-Replayed: true`) without acting twice; the same key with another body is refused (422). Keys are per bot.',
    }),
})

/** A header the document declares on a success response. */
export const successHeader = (description: string, required = true) => ({ ...header(description), required })

/** discord.js reports -1 until the first heartbeat is acknowledged: the API says null, as it does for "unknown". */
export const knownPing = (ms: number | undefined): number | null => (ms === undefined || ms < 0 ? null : ms)
