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

const [apiUrl, maxBots = '1000'] = process.argv.slice(2)
if (!apiUrl) throw new Error('usage: service-process.ts <apiUrl> [maxBots]')

const config = loadConfig({
  PORT: '0',
  HOST: '127.0.0.1',
  DISCORD_API_URL: apiUrl,
  LOG_LEVEL: 'silent',
  MAX_BOTS: maxBots,
  WORKER_TEST_HOOKS: '1',
})
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
})
exitWithParent(() => service.stop(1_000))
announce({ url: service.url, controlUrl } satisfies ServiceInfo)
