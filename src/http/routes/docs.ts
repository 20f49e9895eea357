import { Hono } from 'hono'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { AppError } from '../../errors.ts'

// Swagger UI served from the installed package: the docs page works with no internet access.
const assetsDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
// A Map, not an object literal: a name from the URL such as `__proto__` or `toString` must not find an
// inherited property (it did: an unauthenticated 500).
const ASSETS = new Map([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
])

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Botvisor API</title><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body>
</html>`
// A file of its own rather than an inline script, so the page's CSP needs no 'unsafe-inline' for scripts.
// validatorUrl null: Swagger UI would otherwise load a badge from validator.swagger.io, which the CSP refuses.
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', validatorUrl: null })`

/**
 * Everything the page loads comes from this origin: its scripts and stylesheet (no inline script), the document
 * it fetches, and the data: URIs of the icons in swagger-ui.css. React sets style through the CSSOM, which
 * style-src does not govern.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

export function docsRoutes() {
  return new Hono()
    .use('/docs', async (c, next) => {
      await next()
      c.res.headers.set('Content-Security-Policy', DOCS_CSP)
    })
    .get('/docs', (c) => c.html(PAGE))
    .get('/docs/init.js', (c) => c.body(INIT, 200, { 'content-type': 'text/javascript; charset=utf-8' }))
    .get('/docs/:asset', (c) => {
      const asset = c.req.param('asset')
      const type = ASSETS.get(asset)
      // not c.notFound(): the app's not-found handler would see that /docs/:asset exists and answer 405
      if (!type) throw new AppError(404, 'not_found', `No docs asset ${asset}`)
      return c.body(Bun.file(join(assetsDir, asset)).stream(), 200, {
        'content-type': type,
        'cache-control': 'public, max-age=86400',
      })
    })
}
