import type { RouteHandler } from './context.ts'
import { getGuild, getGuildChannels, getGuildMember, getGuildMembers, getGuildRoles } from './guilds.ts'
import {
  deleteMessage,
  deleteOwnReaction,
  getChannel,
  getMessage,
  getMessages,
  patchMessage,
  postMessage,
  putOwnReaction,
  triggerTyping,
} from './messages.ts'
import {
  getCurrentApplication,
  getCurrentUser,
  getCurrentUserGuilds,
  getGateway,
  getGatewayBot,
  getUser,
} from './users.ts'

/** The route key doubles as the counter key and the failRest/exhaustBucket selector. */
export const ROUTES = {
  'GET /gateway': getGateway,
  'GET /gateway/bot': getGatewayBot,
  'GET /users/@me': getCurrentUser,
  'GET /users/@me/guilds': getCurrentUserGuilds,
  'GET /users/:id': getUser,
  'GET /applications/@me': getCurrentApplication,
  'GET /guilds/:id': getGuild,
  'GET /guilds/:id/channels': getGuildChannels,
  'GET /guilds/:id/roles': getGuildRoles,
  'GET /guilds/:id/members': getGuildMembers,
  'GET /guilds/:id/members/:id': getGuildMember,
  'GET /channels/:id': getChannel,
  'GET /channels/:id/messages': getMessages,
  'POST /channels/:id/messages': postMessage,
  'GET /channels/:id/messages/:id': getMessage,
  'PATCH /channels/:id/messages/:id': patchMessage,
  'DELETE /channels/:id/messages/:id': deleteMessage,
  'PUT /channels/:id/messages/:id/reactions/:emoji/@me': putOwnReaction,
  'DELETE /channels/:id/messages/:id/reactions/:emoji/@me': deleteOwnReaction,
  'POST /channels/:id/typing': triggerTyping,
} satisfies Record<string, RouteHandler>

export type RouteKey = keyof typeof ROUTES

/** Path parameters are named after the segment before them, as Discord names them in its 50035 trees. */
const PARAM_NAMES: Record<string, string> = {
  channels: 'channel_id',
  messages: 'message_id',
  guilds: 'guild_id',
  members: 'user_id',
  users: 'user_id',
  reactions: 'emoji',
}

interface CompiledRoute {
  key: RouteKey
  method: string
  segments: readonly string[]
  handler: RouteHandler
  literalCount: number
}

const COMPILED: readonly CompiledRoute[] = (Object.entries(ROUTES) as [RouteKey, RouteHandler][]).map(
  ([key, handler]) => {
    const [method = '', path = ''] = key.split(' ')
    const segments = path.split('/').filter(Boolean)
    return { key, method, segments, handler, literalCount: segments.filter((s) => !s.startsWith(':')).length }
  },
)

export type RouteMatch =
  | { kind: 'found'; key: RouteKey; handler: RouteHandler; params: Record<string, string>; majorId: string }
  | { kind: 'notFound' }
  | { kind: 'methodNotAllowed' }

export function matchRoute(method: string, path: string): RouteMatch {
  // decoded once, as Discord's router does: discord.js sends "@me" as "%40me"
  const parts = path.split('/').filter(Boolean).map(safeDecode)
  let best: { route: CompiledRoute; params: Record<string, string> } | null = null
  let pathKnown = false
  for (const route of COMPILED) {
    const params = matchSegments(route.segments, parts)
    if (!params) continue
    pathKnown = true
    if (route.method !== method) continue
    if (!best || route.literalCount > best.route.literalCount) best = { route, params } // "@me" beats ":id"
  }
  if (!best) return { kind: pathKnown ? 'methodNotAllowed' : 'notFound' }
  // Discord's buckets are per major parameter: the channel or guild the route starts with
  const first = best.route.segments[0]
  const majorId = first === 'channels' || first === 'guilds' ? (parts[1] ?? '') : ''
  return { kind: 'found', key: best.route.key, handler: best.route.handler, params: best.params, majorId }
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] ?? ''
    const actual = parts[i] ?? ''
    if (expected.startsWith(':')) {
      const name = PARAM_NAMES[pattern[i - 1] ?? ''] ?? expected.slice(1)
      params[name] = actual
    } else if (expected !== actual) {
      return null
    }
  }
  return params
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
