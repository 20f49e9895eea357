import { loadConfig, type Config } from './config.ts'
import { createLogger } from './log.ts'
import { startService, type Service } from './service.ts'
import { writeAdminToken } from './admin-token-file.ts'
import { openStore } from './store/open.ts'
import { StoreError } from './store/errors.ts'
import type { Store } from './store/types.ts'
import { planRestore, type RestorePlan } from './restart/plan.ts'

let config: Config
try {
  config = loadConfig(Bun.env)
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
}
const log = createLogger(config.LOG_LEVEL)

let service: Service | undefined
let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    stopping = true
    // a signal while the store is still opening: nothing started, nothing to hand over
    if (!service) process.exit(0)
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

// A store that cannot be used (wrong key, newer schema, corrupt or unwritable file) is one clear line naming the
// file and exit 1: the same line again under a process manager, never a stack trace or a half-started service.
let store: Store
let restore: RestorePlan
try {
  store = await openStore(config, {
    warn: (message) => log.warn(message),
    onFlushError: (err) => log.error({ code: err.code, file: err.file }, `store: ${err.message}`),
  })
  restore = await planRestore(store)
} catch (err) {
  const message = err instanceof StoreError ? err.message : `could not open the store in ${config.DATA_DIR}: ${err}`
  process.stderr.write(`botvisor: ${message}\n`)
  process.exit(1)
}

service = startService(config, log, { store, restore })
if (service.adminTokenGenerated) {
  // A secret never goes into an output stream that may be a log file (`npm start 2>&1 | tee log`): it goes to a
  // file only its owner may read, and only a terminal is shown the token itself.
  const file = writeAdminToken(config.DATA_DIR, service.adminToken)
  const shown = process.stderr.isTTY ? `: ${service.adminToken}` : ''
  process.stderr.write(`ADMIN_TOKEN was not set; this run's admin token is in ${file} (mode 600)${shown}\n`)
}
log.info({ url: service.url, store: store.backend, restoredBots: restore.bots.length }, 'botvisor listening')
