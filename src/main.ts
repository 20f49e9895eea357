import { loadConfig, type Config } from './config.ts'
import { createLogger } from './log.ts'
import { startService } from './service.ts'
import { writeAdminToken } from './admin-token-file.ts'

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
  // A secret never goes into an output stream that may be a log file (`npm start 2>&1 | tee log`): it goes to a
  // file only its owner may read, and only a terminal is shown the token itself.
  const file = writeAdminToken(config.DATA_DIR, service.adminToken)
  const shown = process.stderr.isTTY ? `: ${service.adminToken}` : ''
  process.stderr.write(`ADMIN_TOKEN was not set; this run's admin token is in ${file} (mode 600)${shown}\n`)
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
