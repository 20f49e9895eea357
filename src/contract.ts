/**
 * The one contract between the gateway thread and a bot worker. Both sides import it: types and one guard.
 * Plain data crosses the boundary, never discord.js structures. Read paths return JSON the worker
 * already serialized: a string crosses threads almost free, objects are cloned twice (docs/facts.md, 3.6×).
 */

import type { DiscordEventType } from './events/types.ts'

/** A response body the worker already serialized; the gateway sends it untouched. */
export type JsonText = string

/** Discord's answer as data: Comlink forwards thrown errors as message and stack only, losing status and code. */
export type RpcFailure = {
  ok: false
  status: number
  discordCode: number
  detail: string
  retryAfterMs?: number
  /** Set when the worker itself held the call back near Discord's invalid-request ban: IP-wide, or this bot's share. */
  guard?: 'ip' | 'bot'
}
export type RpcResult<T> = { ok: true; value: T } | RpcFailure

export type Page = {
  body: JsonText
  nextCursor: string | null
  /**
   * Set when the gateway may keep the page this long, until a push says it changed: a channel's newest messages
   * the worker holds in its cache (a `messages` push), or a page of a guild's members (a `members` push).
   */
  freshForMs?: number
  /**
   * With freshForMs: the whole run of newest messages the page was cut from, so the gateway keeps this one body
   * per channel and cuts any `limit` from it (src/discord/newest-messages.ts) rather than a body per limit.
   */
  run?: NewestRun
}

/** A channel's newest messages serialized once: `ends[i]` is where message i's JSON ends in `body`. */
export type NewestRun = {
  body: JsonText
  ends: number[]
  ids: string[]
  /** Discord holds no older message than the last of `ids`. */
  complete: boolean
}

export type IntentFlags = { guildMembers: boolean; messageContent: boolean }

/** A gateway session as Discord needs it for RESUME; kept by the gateway so it outlives a crashed worker. */
export type GatewaySession = {
  sessionId: string
  sequence: number
  resumeUrl: string
  shardId: number
  shardCount: number
}

export type BotStartOptions = {
  token: string
  apiUrl: string
  intents: number
  loginTimeoutMs: number
  /** Discord calls must settle within this, so the gateway's RPC deadline is never the one that fires. */
  requestDeadlineMs: number
  /**
   * Refuse to IDENTIFY when Discord's session_start_limit.remaining is at or below this (1 000 a day per bot):
   * a crash loop must not burn the day's budget. 0 for a login a user asked for.
   */
  identifyReserve: number
  /** The crashed worker's gateway session: RESUME it rather than IDENTIFY, where Discord still allows. */
  resume: GatewaySession | null
  /**
   * The invalid-request window every thread shares (src/discord/invalid-budget.ts): the worker counts each 401,
   * 403 and 429 into it as it comes and checks it before each Discord call. botSlot -1: the IP-wide count only.
   */
  invalidBudget: { buffer: SharedArrayBuffer; botSlot: number; ipLimit: number; botLimit: number } | null
  /** How long Discord's 403/404 answer to a read is replayed for the same route and id (0: never). */
  refusalCacheMs: number
  /** Lets tests break the worker on purpose (WORKER_TEST_HOOKS=1). */
  testHooks: boolean
  /** With testHooks: break the worker this way while it logs in (WORKER_TEST_START_FAULT). */
  startFault?: TestFault
}

export type BotIdentity = {
  botId: string
  username: string
  avatar: string | null
  intents: IntentFlags
  guildCount: number
  /** IDENTIFYs Discord allows today after this start (its session_start_limit, less the one this start spent). */
  identifiesLeft: number
  /** True when this start resumed an earlier gateway session instead of spending an IDENTIFY. */
  resumed: boolean
  /** The intents the session has (after a 4014, without the privileged ones): a RESUME keeps them. */
  intentBits: number
}

/** Counters are totals since the worker started; the gateway turns them into rates. */
export type BotStats = {
  ready: boolean
  guildCount: number
  gatewayPingMs: number
  heapUsedBytes: number
  restCalls: number
  /** 429s Discord sent this bot. */
  rateLimited: number
  /** 401, 403 and 429 answers: what Discord counts toward its per-IP ban (10 000 per 10 minutes). */
  invalidRequests: number
  gatewayEvents: number
}

/** What reset() found. */
export type WorkerReset = { clean: boolean; heapUsedBytes: number; detail: string }

export type NewMessage = {
  channelId: string
  /** Content, embeds or both (the route checked at least one). */
  content?: string
  embeds?: MessageEmbed[]
  /** The message this one replies to, in the same channel. */
  replyTo?: string
  /** Absent: only users named as <@id> are pinged (allowed_mentions {parse: ["users"]}). */
  allowedMentions?: AllowedMentions
  /**
   * Discord's message nonce, sent with enforce_nonce: a repeat within a few minutes returns the first message
   * instead of a second one. At most 25 characters (Discord's limit); one per request, or per Idempotency-Key.
   */
  nonce: string
}

/** An embed in the API's camelCase; the worker maps it to Discord's snake_case (workers/writes.ts). */
export type MessageEmbed = {
  title?: string
  description?: string
  url?: string
  /** ISO 8601. */
  timestamp?: string
  /** 0xRRGGBB as an integer. */
  color?: number
  footer?: { text: string; iconUrl?: string }
  image?: { url: string }
  thumbnail?: { url: string }
  author?: { name: string; url?: string; iconUrl?: string }
  fields?: { name: string; value: string; inline?: boolean }[]
}

/** Discord's allowed_mentions in camelCase; `parse` and an id list of the same kind exclude each other. */
export type AllowedMentions = {
  parse?: ('users' | 'roles' | 'everyone')[]
  users?: string[]
  roles?: string[]
  repliedUser?: boolean
}

/** A change to one of the bot's own messages: content, embeds or both. */
export type MessageEdit = { channelId: string; messageId: string; content?: string; embeds?: MessageEmbed[] }

/** One message, named as Discord's routes name it: by channel, then id. */
export type MessageRef = { channelId: string; messageId: string }

/** The bot's own reaction: a unicode emoji, or a custom one as `name:id`. */
export type OwnReaction = MessageRef & { emoji: string }

/**
 * What a worker tells the gateway unasked, on the same port as the RPC replies (Comlink ignores messages
 * without its call id). The gateway serves guild and channel lists from these bodies without an RPC.
 */
export type WorkerPush =
  | { botvisor: 'guilds'; body: JsonText; guildIds: string[] }
  | { botvisor: 'channels'; guildId: string; body: JsonText | null }
  /** A channel's cached newest messages changed (channelId null: all of them): drop the pages built from them. */
  | { botvisor: 'messages'; channelId: string | null }
  /** A guild's members changed (guildId null: any guild's may have): drop the member pages kept of it. */
  | { botvisor: 'members'; guildId: string | null }
  /** The gateway session moved on (sent at most every SESSION_PUSH_MS, and at once when it starts or ends). */
  | { botvisor: 'session'; session: GatewaySession | null }
  /** The gateway connection's fate: discord.js resuming it, done, or Discord refusing the token (4004, 401). */
  | { botvisor: 'gateway'; status: 'reconnecting' | 'ready' | 'revoked' | 'closed'; code?: number }
  /** A log line for the gateway's logger, which binds it to the worker and bot; never carries a token. */
  | { botvisor: 'log'; level: WorkerLogLevel; msg: string; fields: Record<string, string | number | boolean | null> }
  /** A restart that was handed a session to RESUME identified instead, and why. */
  | { botvisor: 'resume_fallback'; reason: ResumeFallbackReason; detail: string }
  /** The worker's own heap, from its own timer: a health poll would queue behind the traffic it measures. */
  | { botvisor: 'memory'; heapUsedBytes: number }
  /** Discord's session_start_limit.remaining as a start read it, before deciding to IDENTIFY (sent even when it refuses). */
  | { botvisor: 'identifies'; left: number }
  /**
   * Gateway dispatches of one microtask, as a JSON array of ForwardedDispatch (one string crosses threads cheapest,
   * docs/facts.md). `sessionId` is the Discord session they belong to: the gateway drops replays by its sequences.
   */
  | { botvisor: 'events'; botId: string; sessionId: string; body: JsonText }

/** One gateway dispatch as a worker forwards it: the API's event shape less the id the gateway gives it. */
export type ForwardedDispatch = {
  type: DiscordEventType
  /** Discord's sequence number of the dispatch (0: one the worker rebuilt itself, never forwarded twice). */
  s: number
  guildId?: string
  channelId?: string
  at: string
  data: Record<string, unknown>
}

export type WorkerLogLevel = 'debug' | 'info' | 'warn' | 'error'
/** Bounded: a metric label. */
export type ResumeFallbackReason = 'too_many_guilds' | 'snapshot_failed' | 'refused' | 'not_settled'

export const isWorkerPush = (data: unknown): data is WorkerPush =>
  typeof data === 'object' && data !== null && 'botvisor' in data

/**
 * The one message the gateway posts to a worker thread itself: a bot moves in. The thread serves that bot's
 * BotWorkerApi on `port` (Comlink) and pushes its WorkerPush messages back on it; closing the port moves it out.
 * A thread holds 1 bot (BOTS_PER_WORKER=1, full isolation) or several (README, "Packed workers").
 */
export type BotAttach = { botvisor: 'attach'; port: MessagePort }
export const isBotAttach = (data: unknown): data is BotAttach =>
  typeof data === 'object' && data !== null && (data as { botvisor?: unknown }).botvisor === 'attach'

export type TestFault = 'throw' | 'reject' | 'exit' | 'hang' | 'grow'

export interface BotWorkerApi {
  /** Logs in and resolves once the gateway is READY with every guild received. */
  start(options: BotStartOptions): Promise<RpcResult<BotIdentity>>
  stats(): Promise<BotStats>
  listGuilds(): Promise<RpcResult<JsonText>>
  /** `guildId` null: the only guild the bot is in. */
  listChannels(guildId: string | null): Promise<RpcResult<JsonText>>
  listMembers(guildId: string, limit: number, after: string | null): Promise<RpcResult<Page>>
  listMessages(channelId: string, limit: number, before: string | null): Promise<RpcResult<Page>>
  sendMessage(message: NewMessage): Promise<RpcResult<JsonText>>
  /** Edits one of the bot's own messages (Discord refuses others' with 50005); the message as edited. */
  editMessage(edit: MessageEdit): Promise<RpcResult<JsonText>>
  deleteMessage(message: MessageRef): Promise<RpcResult<null>>
  addReaction(reaction: OwnReaction): Promise<RpcResult<null>>
  removeReaction(reaction: OwnReaction): Promise<RpcResult<null>>
  /** Shows "<bot> is typing…" in the channel (Discord shows it ~10 s, or until the bot sends). */
  triggerTyping(channelId: string): Promise<RpcResult<null>>
  /**
   * A full garbage collection in the worker's thread now (for every bot it hosts), answering the heap used after
   * it: what a memory measurement reads, instead of whatever the collector's own schedule left.
   */
  collectGarbage(): Promise<number>
  /** Destroys the client; the worker may then be terminated. */
  stop(): Promise<void>
  /**
   * Like stop(), but closes the gateway connection without ending the Discord session (a close code other than
   * 1000/1001), so another worker, or the next run of the service, can RESUME it. Resolves with that session
   * (sequence included), null when there was none.
   */
  suspend(): Promise<GatewaySession | null>
  /**
   * After stop(): drops every per-bot state so another bot can start() in this worker (module code stays
   * loaded). `clean` false means something of the last bot may be left: terminate the worker instead.
   */
  reset(): Promise<WorkerReset>
  /** Only with testHooks (else a 403 failure): breaks the worker in the named way. */
  injectFault(fault: TestFault): Promise<RpcResult<null>>
}
