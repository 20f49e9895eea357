import { SECURITY_HEADERS } from './security-headers.ts'

/**
 * RFC 9110 §7.2 / RFC 3986 §3.2.2: a host name or IPv4 address, or a bracketed IPv6 literal, and an optional
 * port. Stricter than Bun, which builds request.url from `Host: a:b` or `x:80:80` (URLs `new URL` then refuses)
 * and, for a Host it cannot use at all (`a@b`, a space, none), leaves request.url a bare path.
 */
const VALID_HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/

const BAD_HOST_BODY = JSON.stringify({ error: 'Invalid Host header', code: 'bad_request' })
const BAD_HOST_HEADERS = new Headers({ 'Content-Type': 'application/json', ...SECURITY_HEADERS })

/**
 * Checks the Host every request is routed and linked by. A request without Host (HTTP/1.0 may omit it) is
 * served as if sent to `fallbackOrigin` (the listener's own origin); a malformed Host gets a JSON 400.
 * The last Host found good is remembered: the check then costs one string compare per request.
 *
 * Returns the request to route (its URL absolute, its Host well formed) or, for a Host that is not one, the 400
 * to answer before routing, which would read a path out of a URL that has none. Nothing is allocated for a
 * good request: this runs before the short paths.
 */
export function createHostCheck(fallbackOrigin: () => string) {
  let lastGood = ''
  return function checkHost(request: Request): Request | Response {
    const host = request.headers.get('host')
    if (host === null) {
      // Bun had no Host to build the URL from; routing and links need an origin
      const url = request.url
      return new Request(url.startsWith('/') ? fallbackOrigin() + url : url, request)
    }
    if (host === lastGood && request.url.charCodeAt(0) !== 47) return request
    const valid = VALID_HOST.exec(host)
    if (!valid || Number(valid[1] ?? 0) > 65_535 || request.url.charCodeAt(0) === 47) {
      return new Response(BAD_HOST_BODY, { status: 400, headers: BAD_HOST_HEADERS })
    }
    lastGood = host
    return request
  }
}
