import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status'
import { IDEMPOTENCY_KEY } from '../discord/message-nonce.ts'
import { AppError } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { IdempotencyStore, StoredAnswer } from '../store/idempotency.ts'
import type { AppEnv } from './env.ts'

/** PUT is idempotent by its own definition (RFC 9110 §9.2.2); GET and HEAD change nothing. */
const KEYED_METHODS = new Set(['POST', 'PATCH', 'DELETE'])

/** The headers of an answer a replay repeats; the rest (security headers, CORS, …) the app adds to each answer. */
const REPLAYED_HEADERS = ['content-type', 'location', 'link', 'allow', 'retry-after', 'www-authenticate']

/**
 * Which answers are kept for the key's retries. A retry must get what a second run would get, so the kept ones
 * are the answers a second run would give again: every 2xx, and the 4xx that follow from the request itself —
 * 400 (a field, or Discord's 50035), 403 (a missing permission), 404 (an unknown channel or message), 405, 410,
 * 413, 415, 422. Not kept, so a retry may try again: 401 (the session or token; the request never ran as the
 * bot), 408, 409 (capacity or a conflict of the moment), 429 (a rate limit that passes), and every 5xx, 504
 * `outcome_unknown` included — for a send, the Discord nonce derived from the key keeps that retry from
 * posting twice (src/discord/message-nonce.ts).
 */
const KEPT_4XX = new Set([400, 403, 404, 405, 410, 413, 415, 422])
export const isStoredStatus = (status: number): boolean => (status >= 200 && status < 300) || KEPT_4XX.has(status)

/** How often a waiter looks again at a key another process holds (only with a shared store). */
const POLL_MS = 50

/** nginx's "client closed request": logged, seen by no one. */
const CLIENT_GONE = 499 as StatusCode

export type IdempotencyHooks = {
  onReplay(): void
  onKeyReused(): void
  /** +1 when a request starts waiting for a running one with its key, -1 when it stops. */
  onWaiting(delta: 1 | -1): void
}

/**
 * Idempotency-Key for every POST, PATCH and DELETE behind a session (mounted after requireSession and requireBot;
 * routes need no code of their own). Keys are per bot (its Discord id). The fingerprint is the method, the path
 * with its query and a SHA-256 of the raw body bytes: a retry is the same bytes sent again, so JSON is not
 * canonicalized — parsing every keyed body would cost on each write, and a client that re-serializes differently
 * is told so by a 422 rather than silently matched.
 * - Same key and fingerprint, answered within the store's TTL: the first answer again, `Idempotent-Replayed: true`,
 *   and nothing runs.
 * - Same key, another fingerprint: 422 `idempotency_key_reused`.
 * - Same key while the first still runs: waits for it and gives its answer (whatever it is: never two Discord
 *   calls); a waiter whose client disconnects stops waiting.
 */
export function idempotency(deps: { store: IdempotencyStore; log: Logger; hooks: IdempotencyHooks }) {
  const { store, log, hooks } = deps
  // Requests of THIS process running with a key, for their waiters. Per process: across gateway nodes (the cluster
  // issue) the store's in-flight mark is the lock (Redis SET NX PX) and a waiter on another node polls the store;
  // a pub/sub channel would spare the polling.
  const running = new Map<string, { fingerprint: string; answer: Promise<StoredAnswer | null> }>()

  const replay = (c: Context<AppEnv>, answer: StoredAnswer) => {
    hooks.onReplay()
    const headers = { ...answer.headers, 'idempotent-replayed': 'true' }
    // a 204 or 205 has no body, not even an empty one (the Fetch standard's null body statuses)
    if (answer.status === 204 || answer.status === 205) return c.body(null, answer.status, headers)
    return c.body(answer.body, answer.status as ContentfulStatusCode, headers)
  }
  const reused = () => {
    hooks.onKeyReused()
    return new AppError(
      422,
      'idempotency_key_reused',
      'This Idempotency-Key was already used by this bot for a different request (method, path or body)',
    )
  }

  return createMiddleware<AppEnv>(async function idempotentWrites(c, next) {
    if (!KEYED_METHODS.has(c.req.method)) return next()
    const key = c.req.header('idempotency-key')
    if (key === undefined) return next()
    if (!IDEMPOTENCY_KEY.test(key))
      throw new AppError(400, 'bad_request', 'Idempotency-Key must be 1 to 255 printable ASCII characters')
    const botId = c.get('bot').identity.botId
    const fingerprint = await fingerprintOf(c)
    const slot = `${botId}\n${key}`
    const signal = c.req.raw.signal

    for (;;) {
      const local = running.get(slot)
      if (local) {
        if (local.fingerprint !== fingerprint) throw reused()
        hooks.onWaiting(1)
        const answer = await untilSettled(local.answer, signal).finally(() => hooks.onWaiting(-1))
        if (answer === 'gone') return c.body(null, CLIENT_GONE)
        if (answer) return replay(c, answer)
        continue // the first ended in a throw we could not capture: the key is free, try again
      }
      const held = await store.begin(botId, key, fingerprint)
      if (held.state === 'claimed') break
      if (held.fingerprint !== fingerprint) throw reused()
      if (held.state === 'done') return replay(c, held.answer)
      // in flight: a request of this process about to register, or one on another node (with a shared store)
      if (!running.has(slot) && (await untilSettled(Bun.sleep(POLL_MS), signal)) === 'gone')
        return c.body(null, CLIENT_GONE)
    }

    // claimed: register synchronously after begin(), so every later request of this process finds it
    const settled = Promise.withResolvers<StoredAnswer | null>()
    running.set(slot, { fingerprint, answer: settled.promise })
    let answer: StoredAnswer | null = null
    try {
      // a handler's throw becomes c.res through app.onError; a notFound (404/405) throw comes through here
      await next()
      answer = await capture(c.res)
    } finally {
      const kept =
        answer && isStoredStatus(answer.status)
          ? store.complete(botId, key, fingerprint, answer)
          : store.release(botId, key)
      await kept.catch((err: unknown) => {
        // the request has already acted: answer it anyway. Nothing is kept, so a retry runs again once the key is
        // free (at once, or when the store's in-flight lease ends); a send's nonce still stops a second message
        log.error({ err }, 'idempotency store failed; the answer is not kept')
      })
      running.delete(slot)
      settled.resolve(answer)
    }
  })
}

/** Method, path with query, and the raw body bytes (Hono caches them: the route reads the same bytes again). */
async function fingerprintOf(c: Context<AppEnv>): Promise<string> {
  const url = new URL(c.req.url)
  const body = await c.req.arrayBuffer()
  return new Bun.CryptoHasher('sha256')
    .update(`${c.req.method} ${url.pathname}${url.search}\n`)
    .update(body)
    .digest('hex')
}

async function capture(res: Response): Promise<StoredAnswer> {
  const headers: Record<string, string> = {}
  for (const name of REPLAYED_HEADERS) {
    const value = res.headers.get(name)
    if (value !== null) headers[name] = value
  }
  return { status: res.status, headers, body: await res.clone().text() }
}

/** `work`'s value, or 'gone' as soon as the client disconnects (the listener is removed either way). */
async function untilSettled<T>(work: Promise<T>, signal: AbortSignal): Promise<T | 'gone'> {
  if (signal.aborted) return 'gone'
  const gone = Promise.withResolvers<'gone'>()
  const onAbort = () => gone.resolve('gone')
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await Promise.race([work, gone.promise])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
