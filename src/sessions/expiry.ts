import type { Logger } from '../log.ts'
import type { BotPool } from '../pool/pool.ts'
import type { SessionStore } from './store.ts'

export type SessionExpiry = {
  /** One sweep now: ends the idle sessions and gives their leases back; resolves to how many ended. */
  sweep(): Promise<number>
  stop(): void
}

/**
 * Idle expiry (SESSION_IDLE_TTL): every `intervalMs`, the sessions unused for longer than `idleMs` end, through
 * the store (so their event streams end too, src/sessions/ended.ts), and each gives its lease on the bot back: a
 * bot whose last session expired stops, as after a logout. One timer for all sessions, none per session; a
 * session lives at most `idleMs + intervalMs` unused. `idleMs` 0: nothing expires and no timer runs.
 */
export function startSessionExpiry(deps: {
  sessions: SessionStore
  pool: Pick<BotPool, 'release'>
  idleMs: number
  intervalMs: number
  log: Logger
}): SessionExpiry {
  const { sessions, pool, idleMs, log } = deps
  let running: Promise<number> | undefined

  async function expire(): Promise<number> {
    const ended = await sessions.expireIdle(idleMs)
    // only the call that removed a session gives its lease back: a logout racing this sweep releases nothing
    for (const session of ended) await pool.release(session.botKey, session.workerId)
    for (const session of ended) log.info({ session: `${session.label}…`, bot: session.botId }, 'session expired')
    return ended.length
  }

  // a sweep still running when the next is due (a slow store) is joined, not run twice in parallel
  const sweep = () => {
    running ??= expire().finally(() => {
      running = undefined
    })
    return running
  }

  const timer =
    idleMs > 0
      ? setInterval(() => {
          sweep().catch((err: unknown) => log.error({ err }, 'session expiry sweep failed; retried at the next'))
        }, deps.intervalMs)
      : undefined
  timer?.unref() // the sweep never keeps a stopping process alive
  return {
    sweep,
    stop: () => clearInterval(timer),
  }
}
