import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/log.ts'
import { botKeyOf } from '../src/pool/pool.ts'
import { startService } from '../src/service.ts'
import { announce, exitWithParent, serveControl, settledRss } from './child.ts'

/**
 * `bun bench/service-process.ts <apiUrl> <maxBots>`: the real service, alone in its process so that its RSS is
 * its own (the gateway thread plus every bot's worker). The control API reports RSS and crashes a bot's worker
 * on purpose (WORKER_TEST_HOOKS), so the bench can time the restart.
 */
export type ServiceInfo = { url: string; controlUrl: string }

const [apiUrl, maxBots = '1000', overridesJson = '{}'] = process.argv.slice(2)
if (!apiUrl) throw new Error('usage: service-process.ts <apiUrl> [maxBots] [{"VAR": "value" | null}]')

const env: Record<string, string> = {
  PORT: '0',
  HOST: '127.0.0.1',
  DISCORD_API_URL: apiUrl,
  LOG_LEVEL: 'silent',
  MAX_BOTS: maxBots,
  WORKER_TEST_HOOKS: '1',
  // the bench is one client (127.0.0.1) logging in hundreds of bots: not what the per-IP login limits are for
  LOGIN_BURST: '1000000',
  LOGIN_PER_MINUTE: '1000000',
  LOGIN_MAX_PENDING_PER_IP: '100000',
}
// the login flood runs the service as deployed: null gives a variable back its default
for (const [key, value] of Object.entries(JSON.parse(overridesJson) as Record<string, string | null>)) {
  if (value === null) delete env[key]
  else env[key] = value
}
const config = loadConfig(env)
const service = startService(config, createLogger('silent'))

const controlUrl = serveControl({
  rss: (body) => settledRss((body as { settleMs?: number } | undefined)?.settleMs ?? 1_000),
  async crash(body) {
    const { token } = body as { token: string }
    const bot = service.pool.get(botKeyOf(token))
    if (!bot) throw new Error('no such bot')
    await bot.call((worker) => worker.injectFault('exit'))
    // answer once the supervisor saw the worker go: a read sent earlier could still reach the old worker
    const deadline = Date.now() + 5_000
    while (bot.state() === 'ready' && Date.now() < deadline) await Bun.sleep(1)
    return { state: bot.state() }
  },
  states: () => service.pool.snapshots().map((snapshot) => snapshot.state),
  async health() {
    const res = await fetch(`${service.url}/admin/health`, {
      headers: { authorization: `Bearer ${service.adminToken}` },
    })
    return res.json()
  },
})
exitWithParent(() => service.stop(1_000))
announce({ url: service.url, controlUrl } satisfies ServiceInfo)
