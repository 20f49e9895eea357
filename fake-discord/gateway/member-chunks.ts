import { toApiMember } from '../payloads.ts'
import { compareSnowflakes } from '../snowflake.ts'
import type { MemberRecord, WorldState } from '../world/types.ts'
import { hasIntent, Intent } from './intents.ts'
import { presenceOf } from './payloads.ts'
import type { Session, SessionStore } from './sessions.ts'

const CHUNK_SIZE = 1_000 // Discord's GUILD_MEMBERS_CHUNK holds at most 1000 members
const QUERY_LIMIT = 100

/**
 * Op 8 Request Guild Members (docs: Gateway Events → Request Guild Members). The whole list (query "" and
 * limit 0) needs the Server Members intent; Discord silently sends nothing without it, and so does the fake.
 */
export function answerMemberRequest(world: WorldState, sessions: SessionStore, session: Session, d: unknown): void {
  if (typeof d !== 'object' || d === null) return
  const request = d as Record<string, unknown>
  const guild = typeof request.guild_id === 'string' ? world.guilds.get(request.guild_id) : undefined
  if (!guild?.members.has(session.bot.user.id)) return
  const nonce = typeof request.nonce === 'string' ? request.nonce.slice(0, 32) : undefined
  const limit = typeof request.limit === 'number' ? request.limit : 0
  const withPresences = request.presences === true && hasIntent(session.intents, Intent.GuildPresences)
  const sorted = [...guild.members.values()].sort((a, b) => compareSnowflakes(a.userId, b.userId))

  let found: MemberRecord[]
  let notFound: string[] = []
  if (request.user_ids !== undefined && request.user_ids !== null) {
    const ids = (Array.isArray(request.user_ids) ? request.user_ids : [request.user_ids])
      .filter((id): id is string => typeof id === 'string')
      .slice(0, QUERY_LIMIT)
    found = ids.flatMap((id) => guild.members.get(id) ?? [])
    notFound = ids.filter((id) => !guild.members.has(id))
  } else if (typeof request.query === 'string') {
    const query = request.query.toLowerCase()
    if (query === '' && limit === 0 && !hasIntent(session.intents, Intent.GuildMembers)) return
    const matches =
      query === ''
        ? sorted
        : sorted.filter((member) => {
            const user = world.users.get(member.userId)
            return [user?.username, member.nick].some((name) => name?.toLowerCase().startsWith(query))
          })
    found = query === '' && limit === 0 ? matches : matches.slice(0, Math.min(limit || QUERY_LIMIT, QUERY_LIMIT))
  } else {
    return
  }

  const chunkCount = Math.max(1, Math.ceil(found.length / CHUNK_SIZE))
  for (let index = 0; index < chunkCount; index++) {
    const members = found.slice(index * CHUNK_SIZE, (index + 1) * CHUNK_SIZE)
    sessions.dispatch(session, 'GUILD_MEMBERS_CHUNK', {
      guild_id: guild.id,
      members: members.map((member) => toApiMember(world, member)),
      chunk_index: index,
      chunk_count: chunkCount,
      ...(index === 0 && notFound.length > 0 ? { not_found: notFound } : {}),
      ...(withPresences
        ? {
            presences: members
              .filter((m) => world.onlineUserIds.has(m.userId))
              .map((m) => presenceOf(m.userId, guild.id)),
          }
        : {}),
      ...(nonce !== undefined ? { nonce } : {}),
    })
  }
}
