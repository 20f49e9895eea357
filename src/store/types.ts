import type { GatewaySession } from '../contract.ts'
import type { Session, SessionStore } from '../sessions/store.ts'
import type { WebhookStore } from '../webhooks/store.ts'
import type { IdempotencyStore } from './idempotency.ts'

/**
 * The durable store's interfaces. Every method a network store would have to wait for is async; writes that
 * happen often are batched behind the interface; no operation spans two of these stores, so each may live in
 * its own backend (a Redis one later) without cross-store transactions.
 */

/** A session as the store keeps it: never its id, only the label logs show (its first 6 characters). */
export type SessionRecord = {
  label: string
  /**
   * What an admin names one session by (DELETE /admin/sessions/{handle}): the first SESSION_HANDLE_LENGTH hex
   * characters of the id's SHA-256. Labels collide (6 characters of a 32-character id: among 100 000 sessions,
   * two share one ~7 % of the time); 64 bits of the hash do not, in practice. It cannot be turned back into the
   * id, so it grants nothing a bearer could use, and it names a session restored from disk, whose id is unknown.
   */
  handle: string
  botKey: string
  botId: string
  workerId: string
  createdAt: number
  lastUsedAt: number
}

/** A session ended by the store: its record, and its id when a request showed it since the start (else ''). */
export type EndedSession = SessionRecord & { sessionId: string }

/**
 * `create` resolves once the session is durable (a login answers 200 after it). `get` and `peek` also mark the
 * session used: in memory, written with the next batch (every few seconds, and by flush()).
 *
 * `deleteForBot` returns whole sessions; one restored from disk whose id no request has shown since the
 * start has `sessionId: ''` (only its hash is stored). list(), expireIdle() and deleteByHandle() are on
 * SessionStore itself (src/sessions/store.ts), so the admin routes and the expiry sweep work on any backend.
 */
export interface DurableSessionStore extends SessionStore {}

export type DesiredState = 'running' | 'stopped'

export type BotRecord = {
  botKey: string
  botId: string
  intents: number
  desiredState: DesiredState
  /** The last gateway session the bot's worker reported, for RESUME after a restart. */
  gatewaySession: GatewaySession | null
  updatedAt: number
}

export type NewBot = { token: string; botId: string; intents: number; desiredState: DesiredState }

export interface BotRegistry {
  /** Adds or replaces the bot of this token (its key is botKeyOf(token)); a gateway session already saved stays. */
  put(bot: NewBot): Promise<BotRecord>
  get(botKey: string): Promise<BotRecord | undefined>
  list(): Promise<BotRecord[]>
  /** False when the bot is not known. */
  setDesiredState(botKey: string, state: DesiredState): Promise<boolean>
  /** Batched: called on every gateway-session push from a worker, written with the next batch. */
  saveGatewaySession(botKey: string, session: GatewaySession | null): void
  /** The bots to start after a restart, with their tokens decrypted. */
  listRunning(): Promise<Array<BotRecord & { token: string }>>
  /** Forgets the bot and its token. False when it was not known. */
  forget(botKey: string): Promise<boolean>
}

export interface EventIdStore {
  /**
   * Reserves the bot's next `count` event ids, durable before it resolves, and returns the first. Ids are handed
   * out from reserved blocks, so publishing an event costs no I/O; a crash skips the rest of a block (ids stay
   * increasing, with a gap) and never hands out an id twice.
   */
  reserve(botId: string, count: number): Promise<number>
  /** The highest id reserved for the bot so far (0: none). */
  reservedThrough(botId: string): Promise<number>
  /**
   * A clean shutdown gives back the unused rest of the bot's block: the next run continues at `lastUsed + 1`, with
   * no gap, so a reader's Last-Event-ID from this run is known to have missed nothing. Never raises the count.
   */
  giveBack(botId: string, lastUsed: number): Promise<void>
}

export interface Store {
  backend: 'memory' | 'sqlite'
  /** The database file, or null in memory. */
  file: string | null
  sessions: DurableSessionStore
  bots: BotRegistry
  eventIds: EventIdStore
  /** Idempotency-Key answers (sealed on disk), kept IDEMPOTENCY_TTL_MS. */
  idempotency: IdempotencyStore
  /** Webhooks (signing secrets sealed on disk) and their last deliveries. */
  webhooks: WebhookStore
  /** Writes the batched changes now (the shutdown path calls it before exit). */
  flush(): Promise<void>
  /** Flushes, stops the batch timer and closes the database. */
  close(): Promise<void>
}

/** How long Idempotency-Key answers live and how many are kept (IDEMPOTENCY_TTL_MS, IDEMPOTENCY_MAX_KEYS). */
export type IdempotencyLimits = { ttlMs: number; maxKeys: number }

/** The defaults of src/config.ts: 24 hours, 100 000 answers. */
export const DEFAULT_IDEMPOTENCY_LIMITS: IdempotencyLimits = { ttlMs: 86_400_000, maxKeys: 100_000 }

export type { Session }
