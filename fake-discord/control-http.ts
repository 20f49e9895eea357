import { z } from 'zod'
import type { FakeControl } from './control.ts'
import { ROUTES, type RouteKey } from './rest/routes.ts'
import { BOT_NAMES, type BotName, type World } from './world/types.ts'

const botName = z.enum(BOT_NAMES as [BotName, ...BotName[]])
const routeKey = z.enum(Object.keys(ROUTES) as [RouteKey, ...RouteKey[]])

/** JSON bodies of the /_control/* routes: the typed handle's inputs, checked at the edge. */
const ACTIONS = {
  'POST /_control/messages': {
    body: z.object({ channelId: z.string(), content: z.string(), authorId: z.string().optional() }),
    run: (control: FakeControl, body: { channelId: string; content: string; authorId?: string }) =>
      control.postMessage(body),
  },
  'POST /_control/members': {
    body: z.object({
      guildId: z.string(),
      user: z.union([z.string(), z.object({ username: z.string().optional() })]).optional(),
    }),
    run: (control: FakeControl, body: Parameters<FakeControl['addMember']>[0]) => control.addMember(body),
  },
  'POST /_control/members/remove': {
    body: z.object({ guildId: z.string(), userId: z.string() }),
    run: (control: FakeControl, body: { guildId: string; userId: string }) => ({ removed: control.removeMember(body) }),
  },
  'POST /_control/gateway/close': {
    body: z.object({ bot: z.string(), code: z.number().int().min(1000).max(4999) }),
    run: (control: FakeControl, body: { bot: string; code: number }) => ({
      closed: control.closeGateway(body.bot, body.code),
    }),
  },
  'POST /_control/tokens/revoke': {
    body: z.object({ token: z.string() }),
    run: (control: FakeControl, body: { token: string }) => {
      control.revokeToken(body.token)
      return { revoked: true }
    },
  },
  'POST /_control/applications/intents': {
    body: z.object({ bot: z.string(), members: z.boolean(), presences: z.boolean(), content: z.boolean() }),
    run: (
      control: FakeControl,
      { bot, ...granted }: { bot: string; members: boolean; presences: boolean; content: boolean },
    ) => {
      control.setPrivilegedIntents(bot, granted)
      return {}
    },
  },
  'POST /_control/faults': {
    body: z.object({
      bot: botName.optional(),
      route: routeKey.optional(),
      status: z.union([z.literal(500), z.literal(502), z.literal(503)]).optional(),
      hang: z.boolean().optional(),
      delayMs: z.number().int().min(0).max(600_000).optional(),
      count: z.number().int().positive().optional(),
    }),
    run: (control: FakeControl, body: Parameters<FakeControl['failRest']>[0]) => {
      control.failRest(body)
      return {}
    },
  },
  'POST /_control/faults/clear': {
    body: z.object({}).optional(),
    run: (control: FakeControl) => {
      control.clearFaults()
      return {}
    },
  },
  'POST /_control/buckets/exhaust': {
    body: z.object({ bot: botName, route: routeKey, retryAfterMs: z.number().int().min(1).max(3_600_000) }),
    run: (control: FakeControl, body: Parameters<FakeControl['exhaustBucket']>[0]) => {
      control.exhaustBucket(body)
      return {}
    },
  },
  'POST /_control/messages/edit': {
    body: z.object({ channelId: z.string(), messageId: z.string(), content: z.string() }),
    run: (control: FakeControl, body: Parameters<FakeControl['editMessage']>[0]) => {
      control.editMessage(body)
      return {}
    },
  },
  'POST /_control/messages/delete': {
    body: z.object({ channelId: z.string(), messageIds: z.array(z.string()).min(1) }),
    run: (control: FakeControl, body: Parameters<FakeControl['deleteMessages']>[0]) => {
      control.deleteMessages(body)
      return {}
    },
  },
  'POST /_control/reactions': {
    body: z.object({ channelId: z.string(), messageId: z.string(), emoji: z.string(), userId: z.string().optional() }),
    run: (control: FakeControl, body: Parameters<FakeControl['addReaction']>[0]) => {
      control.addReaction(body)
      return {}
    },
  },
  'POST /_control/typing': {
    body: z.object({ channelId: z.string(), userId: z.string().optional() }),
    run: (control: FakeControl, body: Parameters<FakeControl['typing']>[0]) => {
      control.typing(body)
      return {}
    },
  },
  'POST /_control/channels': {
    body: z.object({ guildId: z.string(), name: z.string(), topic: z.string().nullable().optional() }),
    run: (control: FakeControl, body: Parameters<FakeControl['createChannel']>[0]) => control.createChannel(body),
  },
  'POST /_control/channels/delete': {
    body: z.object({ channelId: z.string() }),
    run: (control: FakeControl, body: Parameters<FakeControl['deleteChannel']>[0]) => {
      control.deleteChannel(body)
      return {}
    },
  },
  'GET /_control/counters': { body: z.undefined(), run: (control: FakeControl) => control.counters() },
  'POST /_control/counters/reset': {
    body: z.object({}).optional(),
    run: (control: FakeControl) => {
      control.resetCounters()
      return {}
    },
  },
} as const

type Action = { body: z.ZodType; run: (control: FakeControl, body: never) => unknown }

/** The control API over HTTP for the CLI: same levers as `fake.control`, plus GET /_control/world. */
export function createControlHttp(
  control: FakeControl,
  world: World,
  tokens: Record<string, string>,
): (req: Request, path: string) => Promise<Response> {
  return async function handleControl(req, path) {
    if (req.method === 'GET' && path === '/_control/world') {
      return Response.json({
        ids: world.ids,
        tokens,
        bots: Object.fromEntries(
          Object.values(world.bots).map((bot) => [
            bot.name,
            { userId: bot.user.id, applicationId: bot.applicationId, purpose: bot.purpose },
          ]),
        ),
      })
    }
    const action = (ACTIONS as Record<string, Action>)[`${req.method} ${path}`]
    if (!action) return Response.json({ error: 'unknown control route' }, { status: 404 })
    const text = req.method === 'GET' ? '' : await req.text()
    let raw: unknown
    try {
      raw = text === '' ? undefined : JSON.parse(text)
    } catch {
      return Response.json({ error: 'body is not JSON' }, { status: 400 })
    }
    const parsed = action.body.safeParse(raw)
    if (!parsed.success) return Response.json({ error: z.prettifyError(parsed.error) }, { status: 400 })
    try {
      return Response.json(action.run(control, parsed.data as never))
    } catch (error) {
      return Response.json({ error: error instanceof Error ? error.message : String(error) }, { status: 400 })
    }
  }
}
