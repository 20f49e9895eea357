/**
 * Writes /openapi.json as the app serves it, without a network: the app is built in this process and asked
 * through app.request(). `bun scripts/openapi.ts [file]` (default: stdout). `npm run lint:openapi` lints the result.
 */
import { loadConfig } from '../src/config.ts'
import { createInvalidRequestBudget } from '../src/discord/invalid-budget.ts'
import { createApp } from '../src/http/app.ts'
import { createLogger } from '../src/log.ts'
import { createMetrics } from '../src/observability/metrics.ts'
import { createPool } from '../src/pool/pool.ts'
import { createEventHub } from '../src/events/hub.ts'
import { createEventStreams } from '../src/events/streams.ts'
import { createMemorySessionStore } from '../src/sessions/store.ts'
import { createWebhookService } from '../src/webhooks/setup.ts'

// no spare worker: nothing is spawned, nothing logs in
const config = loadConfig({ LOG_LEVEL: 'silent', WARM_SPARE_WORKERS: '0' })
const log = createLogger('silent')
const budget = createInvalidRequestBudget(config.INVALID_REQUEST_LIMIT)
const pool = createPool({ config, log })
const events = createEventHub()
const eventStreams = createEventStreams({ hub: events, maxBufferedBytes: 1, keepAliveMs: 1 })
const app = createApp({
  config,
  log,
  pool,
  sessions: createMemorySessionStore(),
  metrics: createMetrics({ snapshots: () => [], budget }),
  budget,
  events,
  eventStreams,
  adminToken: 'not-served-only-documented',
  isReady: () => true,
  eventLoopLagMs: () => 0,
  webhooks: createWebhookService({ config, log, feed: events }),
})
// the default address, so the document's `servers` names where the service listens out of the box
const res = await app.request(`http://${config.HOST}:${config.PORT}/openapi.json`)
if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`)
const text = `${JSON.stringify(await res.json(), null, 2)}\n`
const file = process.argv[2]
if (file) await Bun.write(file, text)
else process.stdout.write(text)
await pool.stopAll()
