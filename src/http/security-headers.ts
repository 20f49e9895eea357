import { createMiddleware } from 'hono/factory'

/**
 * The security headers of every response, one list for the Hono app and the short path (fast-reads.ts). The
 * values are Hono's secureHeaders() defaults; /docs adds its own Content-Security-Policy.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=15552000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Frame-Options': 'SAMEORIGIN',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
})

/** Sets SECURITY_HEADERS on the response, whatever route (or error) produced it. */
export function securityHeaders() {
  const entries = Object.entries(SECURITY_HEADERS)
  return createMiddleware(async function securityHeaders(c, next) {
    await next()
    for (const [name, value] of entries) c.res.headers.set(name, value)
  })
}
