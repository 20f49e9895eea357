import { loadConfig } from '../../src/config.ts'
import { announce, exitWithParent, serveControl, settledRss } from '../child.ts'
import { createNaiveApp } from './app.ts'

/** `bun bench/naive/server.ts <apiUrl>`: the naive baseline in its own process, with the same RSS report. */
export type NaiveInfo = { url: string; controlUrl: string }

const apiUrl = process.argv[2]
if (!apiUrl) throw new Error('usage: naive/server.ts <apiUrl>')
// the project's defaults, so both designs ask Discord for the same intents and give it the same deadline
const { DISCORD_INTENTS: intents, RPC_TIMEOUT_MS: requestDeadlineMs } = loadConfig({})

const naive = createNaiveApp({ apiUrl, intents, requestDeadlineMs })
const server = Bun.serve({ port: 0, hostname: '127.0.0.1', development: false, fetch: naive.app.fetch })
const controlUrl = serveControl({
  rss: (body) => settledRss((body as { settleMs?: number } | undefined)?.settleMs ?? 1_000),
})
exitWithParent(async () => {
  await server.stop(true)
  await naive.stop()
})
announce({ url: `http://127.0.0.1:${server.port}`, controlUrl } satisfies NaiveInfo)
