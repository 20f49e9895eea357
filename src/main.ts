import { loadConfig, type Config } from './config.ts'
import { createLogger } from './log.ts'
import { startService } from './service.ts'

let config: Config
try {
  config = loadConfig(Bun.env)
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
}
const log = createLogger(config.LOG_LEVEL)
const service = startService(config, log)
if (service.adminTokenGenerated) {
  // printed once, to the terminal only: a secret never goes into the log stream
  process.stderr.write(`ADMIN_TOKEN was not set; this run's admin token (shown once): ${service.adminToken}\n`)
}
log.info({ url: service.url }, 'botvisor listening')

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    stopping = true
    log.info(
      { signal, drainMs: config.SHUTDOWN_DRAIN_MS, graceMs: config.SHUTDOWN_GRACE_MS },
      config.SHUTDOWN_DRAIN_MS > 0
        ? 'shutting down: /readyz answers 503, still serving while draining'
        : 'shutting down: finishing in-flight requests',
    )
    service.stop().then(
      () => {
        log.info('stopped')
        process.exit(0)
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  })
}
