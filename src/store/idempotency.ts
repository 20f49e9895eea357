/**
 * Where Idempotency-Key answers live (src/http/idempotency.ts is the one user). Async and keyed by bot, so the
 * SQLite and Redis backends of issue #13 fit behind it: each call is one statement or one round trip
 * (`begin` is an INSERT … ON CONFLICT DO NOTHING + SELECT in one transaction, or a Redis SET NX PX), and expiry
 * is the backend's own business (a swept column, or a key's PX).
 */

/** What a keyed request answered, kept to answer its retries. */
export type StoredAnswer = {
  status: number
  /** Only the headers a replay needs (Content-Type, Location, Link, …), names in lower case. */
  headers: Record<string, string>
  body: string
}

/** What a key holds for a bot: a request still running, or the answer it gave. */
export type KeyState =
  | { state: 'in_flight'; fingerprint: string }
  | { state: 'done'; fingerprint: string; answer: StoredAnswer }

/** `claimed`: the key was free and now marks this request in flight; the caller must complete() or release(). */
export type BeginOutcome = { state: 'claimed' } | KeyState

export interface IdempotencyStore {
  /**
   * Claims (botId, key) for a request with this fingerprint, atomically: of two callers at once, one gets
   * `claimed` and the other `in_flight`. A key held or answered says what holds it, whatever the fingerprint.
   */
  begin(botId: string, key: string, fingerprint: string): Promise<BeginOutcome>
  /** What the key holds now, without claiming it (a waiter whose request runs in another process). */
  get(botId: string, key: string): Promise<KeyState | undefined>
  /** Keeps the answer for the store's time to live; the in-flight mark becomes the answer. */
  complete(botId: string, key: string, fingerprint: string, answer: StoredAnswer): Promise<void>
  /** Frees the key without keeping an answer (one a retry may change, see isStoredStatus). */
  release(botId: string, key: string): Promise<void>
}
