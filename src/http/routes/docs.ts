import { Hono } from 'hono'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

// Swagger UI served from the installed package: the docs page works with no internet access.
const assetsDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
}

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
      const type = ASSETS[asset]
      if (!type) return c.notFound()
      return c.body(Bun.file(join(assetsDir, asset)).stream(), 200, {
        'content-type': type,
        'cache-control': 'public, max-age=86400',
      })
    })
}
