import { SECURITY_HEADERS } from '../src/http/security-headers.ts'
import { announce, exitWithParent } from './child.ts'

/**
 * `bun bench/limit-server.ts <channels.json> <messages.json> [--security-headers [--plain-object] | --floor <sessions.txt>]`:
 * the ceiling of this machine. A bare Bun.serve answering each route with the very bytes the service answered, and
 * nothing else: no routing library, no session lookup, no headers beyond content-type. The modes are for
 * bench/probe/read-cpu.ts, which tells the costs apart:
 * - `--security-headers`: also the service's security headers.
 * - `--plain-object`: the headers as a plain object, which Bun copies slower than the shared `Headers` object every
 *   other mode sends, as the service's short path does (the probe measures how much slower).
 * - `--floor <sessions.txt>` (one session id a line): the least any gateway must do per cached read, with nothing
 *   of this service's code: read the Authorization header, find the session in a Map (401 when it is not one),
 *   and answer with the security headers.
 */
export type LimitInfo = { url: string }

const args = process.argv.slice(2)
const [channelsFile, messagesFile] = args
if (!channelsFile || !messagesFile) throw new Error('usage: limit-server.ts <channels.json> <messages.json>')
const channels = await Bun.file(channelsFile).text()
const messages = await Bun.file(messagesFile).text()
const sessionsFile = args.includes('--floor') ? args[args.indexOf('--floor') + 1] : undefined
const sessions = sessionsFile ? new Set((await Bun.file(sessionsFile).text()).split('\n').filter(Boolean)) : null
const headerFields = {
  'content-type': 'application/json',
  ...(args.includes('--security-headers') || sessions ? SECURITY_HEADERS : {}),
}
const headers: HeadersInit = args.includes('--plain-object') ? headerFields : new Headers(headerFields)
const unauthorized = JSON.stringify({ error: 'unauthorized' })

const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  development: false,
  fetch(req) {
    if (sessions && !sessions.has(req.headers.get('authorization') ?? '')) {
      return new Response(unauthorized, { status: 401, headers })
    }
    const path = req.url.slice(req.url.indexOf('/', 8), (req.url.indexOf('?') + 1 || req.url.length + 1) - 1)
    return new Response(path === '/api/messages' ? messages : channels, { headers })
  },
})
exitWithParent(() => server.stop(true))
announce({ url: `http://127.0.0.1:${server.port}` } satisfies LimitInfo)
