import { ApplicationFlags, type APIGuildMember, type APIMessage } from 'discord-api-types/v10'
import { createWorldLevers, type WorldLevers } from './control-world.ts'
import type { Counters, CounterBook } from './counters.ts'
import type { FaultBook, RestFault } from './faults.ts'
import type { Gateway } from './gateway/socket.ts'
import type { SessionStore } from './gateway/sessions.ts'
import { toApiMember, toApiMessage } from './payloads.ts'
import type { RateLimiter } from './rate-limits.ts'
import type { RouteKey } from './rest/routes.ts'
import type { Mutations } from './world/mutations.ts'
import { BOT_NAMES, type BotName, type BotRecord, type WorldState } from './world/types.ts'

/** Test-side levers: act as Discord's users, break the gateway or REST on purpose, read the counters. */
export interface FakeControl extends WorldLevers {
  /** A message from a seeded human (default `world.ids.humanUser`); dispatched as MESSAGE_CREATE. */
  postMessage(input: {
    channelId: string
    content: string
    authorId?: string
    embeds?: Record<string, unknown>[]
  }): APIMessage
  /** Adds an existing user (by id) or a new one (by username, or a generated one) to a guild. */
  addMember(input: {
    guildId: string
    user?: string | { username?: string; globalName?: string | null }
  }): APIGuildMember
  removeMember(input: { guildId: string; userId: string }): boolean
  /** Closes every gateway connection of a bot (by name or token) with `code`; returns how many closed. */
  closeGateway(bot: BotName | string, code: number): number
  /** From now on the token gets REST 401 and gateway 4004; its open connections close with 4004. */
  revokeToken(token: BotName | string): void
  /**
   * Sets which privileged intents the bot's application has (its flags in GET /applications/@me and READY,
   * as the _LIMITED flags of an app under 100 servers); IDENTIFYs asking for any other close 4014.
   */
  setPrivilegedIntents(bot: BotName | string, granted: { members: boolean; presences: boolean; content: boolean }): void
  failRest(fault: RestFault): void
  /** Removes REST faults and forced rate limits. */
  clearFaults(): void
  /** The next calls of `bot` on `route` get a real 429 until `retryAfterMs` has passed. */
  exhaustBucket(input: { bot: BotName; route: RouteKey; retryAfterMs: number }): void
  counters(): Counters
  resetCounters(): void
}

export interface ControlDeps {
  world: WorldState
  mutations: Mutations
  sessions: SessionStore
  gateway: Gateway
  counters: CounterBook
  faults: FaultBook
  limiter: RateLimiter
  revokedTokens: Set<string>
  nextId(): string
}

export function createControl(deps: ControlDeps): FakeControl {
  const { world } = deps
  const botOf = (nameOrToken: string): BotRecord => {
    const bot = BOT_NAMES.includes(nameOrToken as BotName)
      ? world.bots[nameOrToken as BotName]
      : Object.values(world.bots).find((b) => b.token === nameOrToken)
    if (!bot) throw new Error('unknown bot name or token')
    return bot
  }
  let newcomers = 0

  return {
    ...createWorldLevers(deps.world, deps.mutations),
    postMessage({ channelId, content, authorId = world.ids.humanUser, embeds = [] }) {
      const channel = world.channels.get(channelId)
      if (!channel) throw new Error(`unknown channel ${channelId}`)
      if (!world.guilds.get(channel.guildId)?.members.has(authorId)) {
        throw new Error(`user ${authorId} is not a member of the channel's guild`)
      }
      const message = deps.mutations.createMessage({ channelId, authorId, content, embeds })
      return toApiMessage(world, message, true)
    },
    addMember({ guildId, user }) {
      if (!world.guilds.has(guildId)) throw new Error(`unknown guild ${guildId}`)
      let userId: string
      if (typeof user === 'string') {
        if (!world.users.has(user)) throw new Error(`unknown user ${user}`)
        userId = user
      } else {
        newcomers++
        userId = deps.nextId()
        world.users.set(userId, {
          id: userId,
          username: user?.username ?? `newcomer_${newcomers}`,
          globalName: user?.globalName ?? null,
          avatar: null,
          bot: false,
        })
      }
      return toApiMember(world, deps.mutations.addMember(guildId, userId))
    },
    removeMember: ({ guildId, userId }) => deps.mutations.removeMember(guildId, userId),
    closeGateway: (bot, code) => deps.gateway.closeBot(botOf(bot).name, code),
    revokeToken(token) {
      const bot = botOf(token)
      deps.revokedTokens.add(bot.token)
      for (const session of deps.sessions.live()) if (session.bot === bot) session.resumable = false
      deps.gateway.closeBot(bot.name, 4004)
    },
    setPrivilegedIntents(bot, granted) {
      const record = botOf(bot) as { applicationFlags: number }
      const flagsOf = [
        [granted.members, ApplicationFlags.GatewayGuildMembers, ApplicationFlags.GatewayGuildMembersLimited],
        [granted.presences, ApplicationFlags.GatewayPresence, ApplicationFlags.GatewayPresenceLimited],
        [granted.content, ApplicationFlags.GatewayMessageContent, ApplicationFlags.GatewayMessageContentLimited],
      ] as const
      for (const [on, full, limited] of flagsOf) {
        record.applicationFlags &= ~(full | limited)
        if (on) record.applicationFlags |= limited // what a small, unverified app has (seed.ts)
      }
    },
    failRest: (fault) => deps.faults.add(fault),
    clearFaults() {
      deps.faults.clear()
      deps.limiter.reset()
    },
    exhaustBucket: ({ bot, route, retryAfterMs }) => deps.limiter.exhaust(botOf(bot).name, route, retryAfterMs),
    counters: () => deps.counters.snapshot(),
    resetCounters: () => deps.counters.reset(),
  }
}
