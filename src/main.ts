import { loadConfig } from './config.ts'
import { createLogger } from './log.ts'
import { startService } from './service.ts'

let config
try {
  config = loadConfig(Bun.env)
} catch (err) {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
}
const log = createLogger(config.LOG_LEVEL)
const service = startService(config, log)
log.info({ url: service.url }, 'botvisor listening')

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1) // a second signal: stop now
    stopping = true
    log.info({ signal }, 'shutting down')
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  })
}
