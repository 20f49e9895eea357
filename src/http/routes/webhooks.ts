import { createRoute, z } from '@hono/zod-openapi'
import { EVENT_TYPES } from '../../events/types.ts'
import type { DeliveryRecord } from '../../webhooks/types.ts'
import type { WebhookView, Webhooks } from '../../webhooks/webhooks.ts'
import { ERRORS, errorResponses, idempotencyHeaders } from '../schemas.ts'
import { createRouter } from './router.ts'

const security = [{ session: [] }]
const Timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-25T12:00:00.000Z' })

const WebhookUrl = z
  .string()
  .max(2048, 'must be 2048 characters or fewer')
  .refine((text) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol), 'must be an http or https URL')
  .openapi({
    description: 'Where events are POSTed (http or https; redirects are not followed)',
    example: 'https://example.com/hooks/discord',
  })

const CreateWebhookBody = z
  .object({
    url: WebhookUrl,
    events: z
      .array(z.enum(EVENT_TYPES))
      .min(1, 'must name at least one event type')
      .refine((types) => new Set(types).size === types.length, 'must not name an event type twice')
      .openapi({ description: 'The event types to deliver', example: ['messageCreate', 'guildMemberAdd'] }),
    secret: z
      .string()
      .min(16, 'must be at least 16 characters')
      .max(256, 'must be 256 characters or fewer')
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
      .optional()
      .openapi({
        description: 'Your own signing secret; left out, one is generated (`whsec_` + 32 random bytes in base64url)',
      }),
  })
  .openapi('CreateWebhookRequest')

const WebhookFields = {
  id: z.string().openapi({ example: 'wh_V1StGXR8_Z5jdHi6B-myT' }),
  url: z.string(),
  events: z.array(z.enum(EVENT_TYPES)),
  createdAt: Timestamp,
  status: z.enum(['active', 'disabled']),
  disabledReason: z.string().nullable().openapi({
    description: 'Why it was disabled (every delivery failing for WEBHOOK_DISABLE_AFTER_MS); null while active',
  }),
  disabledAt: Timestamp.nullable(),
  failingSince: Timestamp.nullable().openapi({
    description: 'Start of the current run of failed attempts; null once one succeeds',
  }),
  queued: z
    .number()
    .int()
    .nonnegative()
    .openapi({ description: 'Events waiting for delivery, the one in flight included' }),
}
const Webhook = z
  .object(WebhookFields)
  .openapi('Webhook', { description: 'A webhook; its secret is never shown again after creation' })
const CreatedWebhook = z
  .object({
    ...WebhookFields,
    secret: z.string().openapi({ description: 'The signing secret: shown only in this answer; keep it' }),
  })
  .openapi('CreatedWebhook')

const Delivery = z
  .object({
    eventId: z.number().int().nonnegative().openapi({ description: "The event's id; 0 for a test delivery" }),
    eventType: z.string(),
    attempt: z
      .number()
      .int()
      .nonnegative()
      .openapi({ description: '1 for the first attempt; 0 for an event dropped unsent' }),
    outcome: z.enum(['delivered', 'retrying', 'failed', 'dropped']).openapi({
      description:
        '`retrying`: failed, another attempt follows; `failed`: the last attempt for the event; `dropped`: never sent (queue full, or the webhook was disabled)',
    }),
    statusCode: z.number().int().nullable().openapi({
      description: "The receiver's status; null when it gave none (timeout, connection error, refused address)",
    }),
    durationMs: z.number().nonnegative(),
    error: z.string().nullable(),
    at: Timestamp,
  })
  .openapi('WebhookDelivery')

const WebhookParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { description: 'The webhook id' } }),
})

const errors404 = { 401: ERRORS.session401, 404: 'No such webhook for this bot', 503: ERRORS.botGone503 }

const createWebhook = createRoute({
  method: 'post',
  path: '/api/webhooks',
  operationId: 'createWebhook',
  tags: ['webhooks'],
  summary: "Register a webhook for the bot's events",
  description:
    'Every session of the bot sees it. Each event is POSTed as JSON with `Botvisor-Event-Id`, `Botvisor-Timestamp` (unix seconds) and `Botvisor-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, in event order, retried with backoff on 5xx, 408, 429, timeouts and connection errors. Internal addresses are refused (unless ALLOW_PRIVATE_WEBHOOKS=1).',
  security,
  request: {
    headers: idempotencyHeaders,
    body: {
      required: true,
      description: 'URL, event types, optional secret',
      content: { 'application/json': { schema: CreateWebhookBody } },
    },
  },
  responses: {
    201: {
      description: 'Created; the answer holds the secret, shown only here',
      content: { 'application/json': { schema: CreatedWebhook } },
    },
    ...errorResponses({
      400: `${ERRORS.body400}; or the URL's host is an internal address, resolves only to internal addresses, or does not resolve`,
      401: ERRORS.session401,
      409: 'The bot already has MAX_WEBHOOKS_PER_BOT webhooks (`capacity_reached`)',
      413: ERRORS.body413,
      415: ERRORS.body415,
      422: ERRORS.idempotency422,
      503: ERRORS.botGone503,
    }),
  },
})

const listWebhooks = createRoute({
  method: 'get',
  path: '/api/webhooks',
  operationId: 'listWebhooks',
  tags: ['webhooks'],
  summary: "The bot's webhooks",
  description: 'Oldest first, each with its status (and why, when disabled); never a secret.',
  security,
  responses: {
    200: { description: 'Webhooks', content: { 'application/json': { schema: z.array(Webhook) } } },
    ...errorResponses({ 401: ERRORS.session401, 503: ERRORS.botGone503 }),
  },
})

const listDeliveries = createRoute({
  method: 'get',
  path: '/api/webhooks/{id}/deliveries',
  operationId: 'listWebhookDeliveries',
  tags: ['webhooks'],
  summary: "A webhook's last 100 delivery attempts",
  description: 'Newest first: each attempt, and each event dropped unsent, with its outcome.',
  security,
  request: { params: WebhookParams },
  responses: {
    200: { description: 'Attempts', content: { 'application/json': { schema: z.array(Delivery) } } },
    ...errorResponses(errors404),
  },
})

const testWebhook = createRoute({
  method: 'post',
  path: '/api/webhooks/{id}/test',
  operationId: 'testWebhook',
  tags: ['webhooks'],
  summary: 'Send a test event now',
  description:
    'One signed attempt, outside the queue, of `{"id":0,"type":"ping","botId","at","data":{"webhookId","message"}}` (id 0 is never a real event: real ids start at 1). Never retried; recorded in the deliveries; works on a disabled webhook too.',
  security,
  request: { headers: idempotencyHeaders, params: WebhookParams },
  responses: {
    200: {
      description: 'The attempt, whatever the receiver answered',
      content: { 'application/json': { schema: Delivery } },
    },
    ...errorResponses({ ...errors404, 422: ERRORS.idempotency422 }),
  },
})

const deleteWebhook = createRoute({
  method: 'delete',
  path: '/api/webhooks/{id}',
  operationId: 'deleteWebhook',
  tags: ['webhooks'],
  summary: 'Delete a webhook',
  description: 'Its queued events are not sent; an attempt in flight is aborted.',
  security,
  request: { headers: idempotencyHeaders, params: WebhookParams },
  responses: {
    204: { description: 'Deleted' },
    ...errorResponses({ ...errors404, 422: ERRORS.idempotency422 }),
  },
})

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
const toJson = ({ webhookId, createdAt, disabledAt, failingSince, ...rest }: WebhookView) => ({
  id: webhookId,
  ...rest,
  createdAt: new Date(createdAt).toISOString(),
  disabledAt: iso(disabledAt),
  failingSince: iso(failingSince),
})
const deliveryJson = (record: DeliveryRecord) => ({ ...record, at: new Date(record.at).toISOString() })

export function webhookRoutes(webhooks: Webhooks) {
  const botIdOf = (c: { get(key: 'bot'): { identity: { botId: string } } }) => c.get('bot').identity.botId
  return createRouter()
    .openapi(createWebhook, async (c) => {
      const { webhook, secret } = await webhooks.register(botIdOf(c), c.req.valid('json'))
      return c.json({ ...toJson(webhook), secret }, 201)
    })
    .openapi(listWebhooks, async (c) => c.json((await webhooks.list(botIdOf(c))).map(toJson), 200))
    .openapi(listDeliveries, async (c) => {
      const records = await webhooks.deliveries(botIdOf(c), c.req.valid('param').id)
      return c.json(records.map(deliveryJson), 200)
    })
    .openapi(testWebhook, async (c) => {
      const record = await webhooks.sendTest(botIdOf(c), c.req.valid('param').id)
      return c.json(deliveryJson(record), 200)
    })
    .openapi(deleteWebhook, async (c) => {
      await webhooks.remove(botIdOf(c), c.req.valid('param').id)
      return c.body(null, 204)
    })
}
