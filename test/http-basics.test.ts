import { afterAll, describe, expect, test } from 'bun:test'
import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/log.ts'
import { startService } from '../src/service.ts'
import { knownPing } from '../src/http/schemas.ts'
import { expectDocumented } from './support/openapi-check.ts'

// These routes never reach a worker or Discord: the service runs without a spare worker.
const config = loadConfig({
  PORT: '0',
  LOG_LEVEL: 'silent',
  CORS_ORIGINS: 'https://dashboard.example',
  BODY_LIMIT_BYTES: '1024',
  WARM_SPARE_WORKERS: '0',
})
const service = startService(config, createLogger('silent'))
afterAll(() => service.stop())
const app = { request: (path: string, init?: RequestInit) => fetch(service.url + path, init) }
const send = async (path: string, init?: RequestInit) => {
  const res = await app.request(path, init)
  const text = await res.text()
  await expectDocumented(service.url, init?.method ?? 'GET', path, res, text)
  return { res, json: JSON.parse(text) as Record<string, unknown> }
}
const postJson = (path: string, body: string, headers: Record<string, string> = {}) =>
  send(path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })

describe('HTTP basics', () => {
  test('GET /healthz answers 200 {"status":"ok"}', async () => {
    const { res, json } = await send('/healthz')
    expect(res.status).toBe(200)
    expect(json).toEqual({ status: 'ok' })
  })

  test('an unknown route is a JSON 404', async () => {
    const { res, json } = await send('/api/nope')
    expect(res.status).toBe(404)
    expect(json).toEqual({ error: 'No route GET /api/nope', code: 'not_found' })
  })

  test('a wrong method is a 405 naming the allowed ones', async () => {
    const { res, json } = await send('/api/auth/login')
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
    expect(json.code).toBe('method_not_allowed')
  })

  test('a trailing slash is a 404 naming the route meant, not a 405', async () => {
    const { res, json } = await send('/api/guilds/')
    expect(res.status).toBe(404)
    expect(json).toEqual({
      error: 'No route GET /api/guilds/ (without the trailing slash: /api/guilds)',
      code: 'not_found',
    })
  })

  test('malformed JSON is a 400, never a stack trace', async () => {
    const { res, json } = await postJson('/api/auth/login', '{"token": ')
    expect(res.status).toBe(400)
    expect(json.code).toBe('bad_request')
    expect(JSON.stringify(json)).not.toContain(' at ')
  })

  test('login without a token, or with a non-string one, is a 400 naming the field', async () => {
    for (const body of ['{}', '{"token":42}', '{"token":""}', `{"token":"${'x'.repeat(500)}"}`]) {
      const { res, json } = await postJson('/api/auth/login', body)
      expect(res.status).toBe(400)
      expect(String(json.error)).toStartWith('token')
    }
  })

  test('a body over the limit is a 413', async () => {
    const { res, json } = await postJson('/api/auth/login', JSON.stringify({ token: 'x', pad: 'y'.repeat(4096) }))
    expect(res.status).toBe(413)
    expect(json.code).toBe('payload_too_large')
  })

  test('a body that is not JSON is a 415 saying to send JSON', async () => {
    const { res, json } = await send('/api/auth/login', {
      method: 'POST',
      body: 'token=x',
      headers: { 'content-type': 'text/plain' },
    })
    expect(res.status).toBe(415)
    expect(String(json.error)).toContain('application/json')
  })

  test('session routes without a session, or with an unknown one, are 401 with WWW-Authenticate', async () => {
    for (const path of ['/api/guilds', '/api/channels', '/api/members?guildId=1', '/api/messages', '/api/session']) {
      for (const authorization of [undefined, 'Bearer V1StGXR8_Z5jdHi6B-myTxyz']) {
        const { res } = await send(path, { headers: authorization ? { authorization } : {} })
        expect(res.status).toBe(401)
        expect(res.headers.get('www-authenticate')).toBe('Bearer')
      }
    }
    expect((await send('/api/auth/logout', { method: 'POST' })).res.status).toBe(401)
  })

  test('a session header that cannot be a session is unknown, not missing', async () => {
    expect((await send('/api/guilds', { headers: { authorization: 'nope' } })).json.error).toBe(
      'Unknown or expired session: log in again',
    )
    expect((await send('/api/guilds')).json.error).toBe('Missing session: send Authorization: <sessionId>')
  })

  test('admin routes without the admin token are 401 with WWW-Authenticate', async () => {
    const { res } = await send('/admin/workers')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
  })

  test('an admin worker id over 64 characters is a 400', async () => {
    const { res } = await send(`/admin/workers/${'w'.repeat(65)}`, {
      headers: { authorization: `Bearer ${service.adminToken}` },
    })
    expect(res.status).toBe(400)
  })

  test('CORS answers only the configured origins, and lets them read Link, Location, Retry-After and RateLimit', async () => {
    const allowed = await app.request('/healthz', { headers: { origin: 'https://dashboard.example' } })
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://dashboard.example')
    const exposed = (allowed.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/,\s*/)
    expect(exposed).toEqual(
      expect.arrayContaining(['link', 'location', 'retry-after', 'ratelimit', 'ratelimit-policy']),
    )
    const other = await app.request('/healthz', { headers: { origin: 'https://evil.example' } })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })

  test('secure headers are set', async () => {
    const res = await app.request('/healthz')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
  })

  test('GET /openapi.json describes the API from the validating schemas', async () => {
    const { res, json } = await send('/openapi.json')
    expect(res.status).toBe(200)
    const paths = Object.keys(json.paths as object)
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/auth/login',
        '/api/auth/logout',
        '/api/guilds',
        '/api/channels',
        '/api/members',
        '/api/messages',
      ]),
    )
  })

  test('GET /openapi.json lists the error codes and channel types, and documents the docs and metrics routes', async () => {
    const { json } = await send('/openapi.json')
    const schemas = (json.components as any).schemas
    expect(schemas.Error.properties.code.enum).toEqual(
      expect.arrayContaining(['not_found', 'method_not_allowed', 'unsupported_media_type']),
    )
    expect(schemas.Channel.properties.type.enum).toEqual(expect.arrayContaining(['text', 'voice', 'category']))
    expect(Object.keys(json.paths as object)).toEqual(expect.arrayContaining(['/metrics', '/openapi.json', '/docs']))
  })

  test('GET /docs serves an API page with its assets locally, under a CSP that allows only this origin and no inline script', async () => {
    const page = await app.request('/docs')
    expect(page.status).toBe(200)
    const csp = page.headers.get('content-security-policy')!
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    const html = await page.text()
    expect(html).toContain('/docs/init.js')
    // every script is a file of this origin: none inline, none elsewhere
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
    expect(scripts.length).toBeGreaterThan(0)
    for (const [, attributes, inline] of scripts) {
      expect(inline!.trim()).toBe('')
      const src = /src="([^"]+)"/.exec(attributes!)?.[1]
      expect(src).toStartWith('/docs/')
      expect((await app.request(src!)).status).toBe(200)
    }
    const stylesheets = [...html.matchAll(/<link[^>]*href="([^"]+)"/g)].map((match) => match[1]!)
    for (const href of stylesheets) {
      expect(href).toStartWith('/docs/')
      expect((await app.request(href)).status).toBe(200)
    }
    expect(html).not.toMatch(/<style|style="/)
    const bundle = await app.request('/docs/swagger-ui-bundle.js')
    expect(bundle.status).toBe(200)
    expect((await bundle.text()).length).toBeGreaterThan(100_000)
  })

  test("discord.js's -1 for a gateway ping not yet measured is null in the API", () => {
    expect(knownPing(-1)).toBeNull()
    expect(knownPing(undefined)).toBeNull()
    expect(knownPing(42)).toBe(42)
  })
})
