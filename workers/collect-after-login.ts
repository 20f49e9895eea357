/**
 * How long a thread waits after its last login before collecting: a burst of logins into a thread that hosts
 * several bots (BOTS_PER_WORKER) pays one full collection instead of one per login, and no login waits for it.
 */
export const COLLECT_AFTER_LOGIN_MS = 200

let pending: ReturnType<typeof setTimeout> | undefined

/**
 * Login leaves megabytes of garbage (READY, GUILD_CREATE, module init) in a heap that then sits idle: a full GC
 * once this thread's logins pause. The timer is the thread's, not a bot's: the bots a thread hosts share it.
 */
export function collectAfterLogin(): void {
  clearTimeout(pending)
  pending = setTimeout(() => {
    pending = undefined
    Bun.gc(true)
  }, COLLECT_AFTER_LOGIN_MS)
}
