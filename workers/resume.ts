// types only from @discordjs/ws: the runtime classes must be the ones discord.js loaded (its CommonJS build)
import type { SessionInfo, WebSocketManager } from '@discordjs/ws'
import { SimpleShardingStrategy, type Client } from 'discord.js'
import {
  GatewayDispatchEvents,
  Routes,
  type APIChannel,
  type APIGuild,
  type APIGuildMember,
  type APIUser,
  type RESTGetAPICurrentUserGuildsResult,
} from 'discord-api-types/v10'
import type { GatewaySession } from '../src/contract.ts'

/** A restart rebuilds READY from REST: three calls per guild. Past this many guilds an IDENTIFY is cheaper. */
export const MAX_GUILDS_TO_RESUME = 25
/** Sequence numbers change with every dispatch: tell the gateway at most this often (a RESUME replays the rest). */
const SESSION_PUSH_MS = 250

type ReadySnapshot = { ready: Record<string, unknown>; guildCreates: Record<string, unknown>[] }

/**
 * What Discord's READY and GUILD_CREATEs would have told a new client, read from REST. discord.js builds its
 * user, application and caches only from those dispatches, so a RESUMEd client needs them to become ready.
 * Two round trips whatever the number of guilds (3 + 3 per guild reads): on Discord each is ~100 ms.
 */
export async function readReadySnapshot(client: Client, session: GatewaySession): Promise<ReadySnapshot | null> {
  const rest = client.rest
  // one round trip for the three, not two: the user and application reads are wasted only past
  // MAX_GUILDS_TO_RESUME guilds, where the restart identifies anyway
  const [guilds, user, application] = (await Promise.all([
    rest.get(Routes.userGuilds()),
    rest.get(Routes.user('@me')),
    rest.get(Routes.currentApplication()),
  ])) as [RESTGetAPICurrentUserGuildsResult, APIUser, { id: string; flags?: number }]
  if (guilds.length > MAX_GUILDS_TO_RESUME) return null
  const guildCreates = await Promise.all(
    guilds.map(async ({ id }) => {
      const [guild, channels, member] = (await Promise.all([
        rest.get(Routes.guild(id), { query: new URLSearchParams({ with_counts: 'true' }) }),
        rest.get(Routes.guildChannels(id)),
        rest.get(Routes.guildMember(id, user.id)),
      ])) as [APIGuild & { approximate_member_count?: number }, APIChannel[], APIGuildMember]
      const memberCount = guild.approximate_member_count ?? 0
      return {
        ...guild,
        channels,
        members: [member],
        member_count: memberCount,
        joined_at: member.joined_at,
        large: memberCount > 250,
        unavailable: false,
        threads: [],
        presences: [],
        voice_states: [],
        stage_instances: [],
        guild_scheduled_events: [],
        soundboard_sounds: [],
      }
    }),
  )
  const ready = {
    v: 10,
    user,
    guilds: guilds.map(({ id }) => ({ id, unavailable: true })),
    session_id: session.sessionId,
    resume_gateway_url: session.resumeUrl,
    shard: [session.shardId, session.shardCount],
    application: { id: application.id, flags: application.flags ?? 0 },
  }
  return { ready, guildCreates }
}

/**
 * The discord.js and @discordjs/ws versions whose internals this file was checked against: the options object
 * it writes to and the events it emits are not a documented extension point. test/resume-internals.test.ts
 * fails when the installed versions differ; re-check the behaviour there, then update this.
 */
export const RESUME_VERIFIED_WITH = { 'discord.js': '14.28.1', '@discordjs/ws': '1.2.3' } as const

/**
 * The close code a suspending worker sends: anything but 1000/1001 keeps the session resumable (Discord docs,
 * Gateway → Disconnecting). 4200 is @discordjs/ws's own CloseCodes.Resuming, which it sends when it means to resume.
 */
export const RESUMABLE_CLOSE_CODE = 4200

export type SessionKeeping = {
  build: (manager: WebSocketManager) => SimpleShardingStrategy
  /**
   * Closes the gateway connection with RESUMABLE_CLOSE_CODE and returns the session as it stood (the last
   * sequence received included), without reporting it ended: @discordjs/ws's destroy() without `recover` forgets
   * the session (updateSessionInfo(null)) and does not reconnect, which is half of what is wanted here.
   */
  suspend: () => Promise<GatewaySession | null>
  /** Removes what build() added to the manager and stops reporting: the client is being destroyed. */
  dispose: () => void
}

/**
 * discord.js's own sharding strategy, with the gateway session kept where it survives this worker: `report`
 * hears every change (throttled), and a `resume` handed in is what the first connection RESUMEs. The snapshot
 * is played to discord.js as the READY and GUILD_CREATEs it will never receive on a resumed session.
 * The buildStrategy option and the manager's events are @discordjs/ws's public surface; replacing the
 * session hooks on its readonly options is not, hence RESUME_VERIFIED_WITH and RESUME_ON_RESTART.
 */
export function sessionKeepingStrategy(options: {
  resume: GatewaySession | null
  snapshot: ReadySnapshot | null
  report: (session: GatewaySession | null) => void
  /** How the session came back: Discord RESUMEd it, or refused (op 9) and @discordjs/ws identified anew. */
  onSettled: (how: 'resumed' | 'identified') => void
}): SessionKeeping {
  let timer: ReturnType<typeof setTimeout> | undefined
  let disposed = false
  let suspending = false
  let removeListeners = () => {}
  let built: WebSocketManager | undefined
  let latest: GatewaySession | null = null

  const build = (manager: WebSocketManager) => {
    built = manager
    const { retrieveSessionInfo, updateSessionInfo } = manager.options
    let seed: SessionInfo | null = options.resume ? { ...options.resume, resumeURL: options.resume.resumeUrl } : null
    latest = null
    const flush = () => {
      timer = undefined
      // a worker handed to another bot must not report this one's session into it
      if (!disposed && !suspending) options.report(latest)
    }

    const mutable = manager.options as { -readonly [K in keyof typeof manager.options]: (typeof manager.options)[K] }
    mutable.retrieveSessionInfo = async (shardId) => (await retrieveSessionInfo(shardId)) ?? seed
    mutable.updateSessionInfo = async (shardId, info) => {
      // a suspending close forgets the session on discord.js's side only: Discord keeps it, and so does `latest`
      if (suspending && info === null) return updateSessionInfo(shardId, info)
      seed = null // from now on discord.js holds the session itself
      // At once only when the session itself changes: READY's sequence belongs to no forwarded event. A later
      // sequence waits for the timer, which runs after the microtask that pushed its dispatch (events.ts), so the
      // gateway never holds a sequence to RESUME from whose events it has not received (they would be lost).
      const known = latest ?? options.resume
      const starting = info === null || known === null || info.sessionId !== known.sessionId
      latest = info && {
        sessionId: info.sessionId,
        sequence: info.sequence,
        resumeUrl: info.resumeURL,
        shardId: info.shardId,
        shardCount: info.shardCount,
      }
      if (starting) {
        clearTimeout(timer)
        flush()
      } else {
        timer ??= setTimeout(flush, SESSION_PUSH_MS)
      }
      return updateSessionInfo(shardId, info)
    }

    if (options.snapshot) {
      const { ready, guildCreates } = options.snapshot
      const shardId = options.resume?.shardId ?? 0
      let played = false
      // On HELLO, before the RESUME goes out: Discord then replays what was missed, and discord.js handles a
      // few of those (member joins, guild events) even before it is ready, which needs READY's user. The
      // microtask lets discord.js's own HELLO listener, added after this one, run first.
      const onHello = () => {
        manager.off('hello', onHello) // once: a reconnect's HELLO must not replay it again
        queueMicrotask(() => {
          if (disposed) return
          manager.emit('ready', { data: ready as never, shardId })
          played = true
          manager.emit('dispatch', {
            data: { op: 0, t: GatewayDispatchEvents.Ready, s: 0, d: ready } as never,
            shardId,
          })
          for (const guild of guildCreates) {
            manager.emit('dispatch', {
              data: { op: 0, t: GatewayDispatchEvents.GuildCreate, s: 0, d: guild } as never,
              shardId,
            })
          }
        })
      }
      const settle = (how: 'resumed' | 'identified') => {
        removeListeners()
        options.onSettled(how)
      }
      const onResumed = () => settle('resumed')
      // a READY after ours is Discord's own: the RESUME was refused and the shard identified
      const onReady = () => {
        if (played) settle('identified')
      }
      manager.on('hello', onHello)
      manager.on('resumed', onResumed)
      manager.on('ready', onReady)
      removeListeners = () => {
        manager.off('hello', onHello)
        manager.off('resumed', onResumed)
        manager.off('ready', onReady)
      }
    }
    return new SimpleShardingStrategy(manager)
  }

  return {
    build,
    async suspend() {
      suspending = true
      clearTimeout(timer)
      await built?.destroy({ code: RESUMABLE_CLOSE_CODE, reason: 'botvisor: handing the session over' })
      return latest ?? options.resume
    },
    dispose() {
      disposed = true
      clearTimeout(timer)
      removeListeners()
    },
  }
}
