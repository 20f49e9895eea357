import { createRoute, z } from '@hono/zod-openapi'
import { AppError } from '../../errors.ts'
import { EVENT_SCHEMAS } from '../../events/schemas.ts'
import type { EventStreams } from '../../events/streams.ts'
import { EVENT_TYPES, isEventType, type EventType } from '../../events/types.ts'
import { ERRORS, errorResponses, Snowflake } from '../schemas.ts'
import { createRouter } from './router.ts'

type AnyEventSchema = (typeof EVENT_SCHEMAS)[number]['schema']

const EVENT_ID = /^\d{1,15}$/

const TypesParam = z
  .string()
  .transform((text, ctx) => {
    const names = text
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name.length > 0)
    const unknown = names.find((name) => !isEventType(name))
    if (unknown === undefined) return new Set(names as EventType[])
    ctx.addIssue({ code: 'custom', message: `unknown event type '${unknown.slice(0, 40)}'` })
    return z.NEVER
  })
  .openapi({
    type: 'string',
    param: { description: `Comma list of event types to receive (default: all): ${EVENT_TYPES.join(', ')}` },
    example: 'messageCreate,messageDelete',
  })

const LastEventId = z.string().regex(EVENT_ID, 'must be an event id (digits)')

const streamEvents = createRoute({
  method: 'get',
  path: '/api/events',
  operationId: 'streamEvents',
  tags: ['read'],
  summary: "The bot's live events (Server-Sent Events)",
  description: [
    'A `text/event-stream` of the session’s bot: each event is `id:` (monotonic per bot), `event:` (its type) and',
    '`data:` (the event as JSON; one schema per type: `MessageCreateEvent`, …). Reconnect with `Last-Event-ID`',
    '(header, or `lastEventId`) to get what was missed from the bot’s last EVENT_BUFFER_SIZE events; when some are',
    'no longer held, an `event: gap` with `{"lastEventId","firstAvailableId"}` comes first. A comment line every',
    'SSE_KEEPALIVE_MS keeps proxies from closing it. A reader more than SSE_MAX_BUFFERED_BYTES behind gets a last',
    '`event: overflow` and is cut off (reconnect with Last-Event-ID); when the session ends a last',
    '`event: session_ended` with `{"reason"}` closes the stream: `logged_out`, `bot_removed`, `revoked` (by an admin),',
    '`expired` (SESSION_IDLE_TTL), `token_revoked` (by Discord) or `shutdown`.',
  ].join(' '),
  security: [{ session: [] }],
  request: {
    query: z.object({
      types: TypesParam.optional(),
      guildId: Snowflake.optional().openapi({ param: { description: 'Only events of this guild' } }),
      channelId: Snowflake.optional().openapi({ param: { description: 'Only events of this channel' } }),
      lastEventId: LastEventId.optional().openapi({
        param: { description: 'Replay what came after this event id (as the `Last-Event-ID` header; the header wins)' },
      }),
    }),
    headers: z.object({
      'last-event-id': LastEventId.optional().openapi({
        param: { description: 'Sent by EventSource on reconnect: replay what came after this event id' },
      }),
    }),
  },
  responses: {
    200: {
      description: 'The event stream; it stays open',
      content: {
        'text/event-stream': {
          // SSE has no schema language: what is described is each frame's `data:`, the event, by its type
          schema: z
            .discriminatedUnion(
              'type',
              EVENT_SCHEMAS.map(({ schema }) => schema) as unknown as [AnyEventSchema, ...AnyEventSchema[]],
            )
            .openapi({
              description:
                'Server-Sent Events frames `id: <event id>`, `event: <type>`, `data: <the event as JSON>`; this schema is the `data:` of each, by its type',
            }),
        },
      },
    },
    ...errorResponses({
      400: 'An unknown event type, a guildId or channelId that is not a snowflake, or a Last-Event-ID / lastEventId that is not an event id',
      401: ERRORS.session401,
      503: ERRORS.botGone503,
    }),
  },
})

export function eventRoutes(streams: EventStreams) {
  const router = createRouter()
  for (const { name, schema } of EVENT_SCHEMAS) router.openAPIRegistry.register(name, schema)
  return router.openapi(streamEvents, (c) => {
    const query = c.req.valid('query')
    const header = c.req.valid('header')['last-event-id']
    const lastEventId = header ?? query.lastEventId
    const { sessionId, botKey, botId } = c.get('session')
    if (!botId) throw new AppError(503, 'bot_unavailable', 'The bot is not logged in yet') // a session always has it
    const body = streams.open({
      sessionId,
      botKey,
      botId,
      filter: { types: query.types ?? null, guildId: query.guildId ?? null, channelId: query.channelId ?? null },
      afterId: lastEventId === undefined ? null : Number(lastEventId),
    })
    return c.body(body, 200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx buffers responses unless told not to: a stream would arrive in lumps
      'x-accel-buffering': 'no',
    })
  })
}
