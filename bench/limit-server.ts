import { SECURITY_HEADERS } from '../src/http/security-headers.ts'
import { announce, exitWithParent } from './child.ts'

/**
 * `bun bench/limit-server.ts <channels.json> <messages.json> [--security-headers]`: the ceiling of this machine. A
 * bare Bun.serve answering each route with the very bytes the service answered, and nothing else: no routing
 * library, no session lookup, no headers beyond content-type (with `--security-headers`, also the service's
 * security headers: bench/probe/read-cpu.ts tells their cost apart).
 */
export type LimitInfo = { url: string }

const [channelsFile, messagesFile] = process.argv.slice(2)
if (!channelsFile || !messagesFile) throw new Error('usage: limit-server.ts <channels.json> <messages.json>')
const channels = await Bun.file(channelsFile).text()
const messages = await Bun.file(messagesFile).text()
const headers = {
  'content-type': 'application/json',
  ...(process.argv.includes('--security-headers') ? SECURITY_HEADERS : {}),
}

const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  development: false,
  fetch(req) {
    const path = req.url.slice(req.url.indexOf('/', 8), (req.url.indexOf('?') + 1 || req.url.length + 1) - 1)
    return new Response(path === '/api/messages' ? messages : channels, { headers })
  },
})
exitWithParent(() => server.stop(true))
announce({ url: `http://127.0.0.1:${server.port}` } satisfies LimitInfo)
