import { createApp } from './app.ts'
import type { Config } from './config.ts'
import type { Logger } from './log.ts'
import { createPool, type BotPool } from './pool/pool.ts'
import { createMemorySessionStore, type SessionStore } from './sessions/store.ts'

export type Service = {
  url: string
  pool: BotPool
  sessions: SessionStore
  stop(): Promise<void>
}

/** The whole gateway: sessions, the worker pool and the HTTP server. main.ts and the tests both start it here. */
export function startService(config: Config, log: Logger): Service {
  const sessions = createMemorySessionStore()
  const pool = createPool({ config, log })
  const app = createApp({ config, log, pool, sessions })
  // development: false keeps Bun's error page (with stack traces) away from clients.
  const server = Bun.serve({ port: config.PORT, hostname: config.HOST, fetch: app.fetch, development: false })
  const host = server.hostname?.includes(':') ? `[${server.hostname}]` : server.hostname
  return {
    url: `http://${host}:${server.port}`,
    pool,
    sessions,
    async stop() {
      await server.stop(true)
      await pool.stopAll()
    },
  }
}
