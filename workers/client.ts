import type { IShardingStrategy, WebSocketManager } from '@discordjs/ws'
import { Client, Events, Options, type RESTOptions } from 'discord.js'
import type { RestGuard } from './rest-guard.ts'
import { GatewayCloseCodes } from 'discord-api-types/v10'

export type ClientSettings = {
  apiUrl: string
  intents: number
  requestDeadlineMs: number
  /** Counts and guards every REST call (rest-guard.ts); its refusal cache is dropped when permissions may change. */
  restGuard?: RestGuard
  /** How the gateway connection is built; the worker's keeps the session where a restart can resume it. */
  buildStrategy?: (manager: WebSocketManager) => IShardingStrategy
}

export type LoginOutcome =
  | { kind: 'ready'; client: Client<true> }
  | { kind: 'disallowed_intents' }
  | { kind: 'token_rejected' }
  | { kind: 'closed'; code: number }

/**
 * The worker's deadline for the Discord calls of one API call: a margin below the gateway's RPC deadline, so
 * a slow Discord is reported as data (504, Discord did not answer) before the gateway gives up on the worker
 * itself (bot_timeout). The margin covers the reply's trip and a busy event loop (a soak saw 244 ms of lag).
 */
export const discordDeadlineMs = (rpcDeadlineMs: number): number =>
  Math.max(Math.floor(rpcDeadlineMs / 2), rpcDeadlineMs - Math.max(250, Math.floor(rpcDeadlineMs / 5)))

/**
 * One discord.js Client with caches cut to what the API serves: guilds and channels (listed from cache),
 * the bot's own member and user. Members and messages are read from Discord page by page, never cached.
 */
export function createClient(settings: ClientSettings): Client {
  const client = new Client({
    intents: settings.intents,
    ws: settings.buildStrategy ? { buildStrategy: settings.buildStrategy } : {},
    rest: {
      api: settings.apiUrl,
      // @discordjs/rest retries an attempt that timed out (AbortError), a reset connection and a 5xx, POSTs
      // included: a send is safe to retry only because it carries a nonce with enforce_nonce (reads.ts).
      // Two attempts fit in the Discord deadline, which each API call also enforces as a whole (failures.ts).
      timeout: Math.max(250, Math.floor(discordDeadlineMs(settings.requestDeadlineMs) / 2)),
      retries: 1,
      // A bucket that would make the caller wait past its deadline becomes a 429 with Retry-After instead.
      rejectOnRateLimit: (limit) => limit.retryAfter > discordDeadlineMs(settings.requestDeadlineMs) / 2,
      ...(settings.restGuard ? { makeRequest: settings.restGuard.makeRequest as RESTOptions['makeRequest'] } : {}),
    },
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      PresenceManager: 0,
      ReactionManager: 0,
      ReactionUserManager: 0,
      GuildEmojiManager: 0,
      GuildStickerManager: 0,
      GuildScheduledEventManager: 0,
      StageInstanceManager: 0,
      VoiceStateManager: 0,
      GuildInviteManager: 0,
      GuildBanManager: 0,
      AutoModerationRuleManager: 0,
      ApplicationCommandManager: 0,
      ThreadMemberManager: 0,
      GuildMemberManager: { maxSize: 0, keepOverLimit: (member) => member.id === member.client.user.id },
      UserManager: { maxSize: 0, keepOverLimit: (user) => user.id === user.client.user.id },
    }),
  })
  const guard = settings.restGuard
  if (guard) {
    // 'raw' is missing from discord.js's ClientEvents typings; it sees every dispatch, cached or not
    ;(client as unknown as NodeJS.EventEmitter).on(Events.Raw, (packet: { t?: string | null }) => {
      if (packet.t && PERMISSION_EVENTS.has(packet.t)) guard.forgetRefusals()
    })
  }
  return client
}

/** Dispatches after which a cached 403/404 may no longer be Discord's answer: the bot's access may have changed. */
const PERMISSION_EVENTS = new Set([
  'CHANNEL_CREATE',
  'CHANNEL_UPDATE',
  'CHANNEL_DELETE',
  'THREAD_CREATE',
  'THREAD_UPDATE',
  'GUILD_CREATE',
  'GUILD_DELETE',
  'GUILD_ROLE_CREATE',
  'GUILD_ROLE_UPDATE',
  'GUILD_ROLE_DELETE',
  'GUILD_MEMBER_UPDATE',
  'GUILD_MEMBER_ADD',
])

/**
 * Logs in and waits for READY with every guild. discord.js's login() resolves once the socket is
 * open, not when READY arrives, and an unrecoverable close (4004, 4014) only shows as shardDisconnect.
 */
export async function loginUntilReady(client: Client, token: string, timeoutMs: number): Promise<LoginOutcome> {
  const { promise, resolve, reject } = Promise.withResolvers<LoginOutcome>()
  const onReady = (ready: Client<true>) => resolve({ kind: 'ready', client: ready })
  const onDisconnect = ({ code }: { code: number }) => {
    if (code === GatewayCloseCodes.DisallowedIntents) resolve({ kind: 'disallowed_intents' })
    else if (code === GatewayCloseCodes.AuthenticationFailed) resolve({ kind: 'token_rejected' })
    else resolve({ kind: 'closed', code })
  }
  client.once(Events.ClientReady, onReady)
  client.once(Events.ShardDisconnect, onDisconnect)
  const timer = setTimeout(() => reject(Object.assign(new Error('login timed out'), { name: 'AbortError' })), timeoutMs)
  try {
    client.login(token).catch((err: unknown) => {
      if (err instanceof Error && 'code' in err && err.code === 'TokenInvalid') resolve({ kind: 'token_rejected' })
      else reject(err)
    })
    return await promise
  } finally {
    clearTimeout(timer)
    client.off(Events.ClientReady, onReady)
    client.off(Events.ShardDisconnect, onDisconnect)
  }
}
