import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/log.ts'
import { startService, type Service } from '../src/service.ts'
import { createResponseCheck, type ResponseCheck } from './support/openapi-check.ts'

// The checker every integration test's responses go through (stack.ts request()): it must see a mismatch.
let service: Service
let check: ResponseCheck
beforeAll(async () => {
  service = startService(
    loadConfig({ PORT: '0', LOG_LEVEL: 'silent', WARM_SPARE_WORKERS: '0' }),
    createLogger('silent'),
  )
  check = createResponseCheck(await (await fetch(`${service.url}/openapi.json`)).json())
})
afterAll(() => service.stop())

const json = (extra: Record<string, string> = {}) => new Headers({ 'content-type': 'application/json', ...extra })
const guild = { id: '1104455672845533184', name: 'g', icon: null, memberCount: 3 }
const message = {
  id: '1104455672845533184',
  channelId: '1104455672845533185',
  content: 'hi',
  timestamp: '2026-11-25T12:00:00.000000+00:00',
  editedTimestamp: null,
  attachments: [],
  embedCount: 0,
  author: { id: '1104455672845533186', username: 'u', globalName: null, avatar: null, bot: false },
}
const error = (code: string) => JSON.stringify({ error: 'x', code })

describe('the OpenAPI response check', () => {
  test('passes what the document promises', () => {
    expect(check('GET', '/api/guilds', 200, json(), JSON.stringify([guild]))).toEqual([])
    expect(check('GET', '/api/guilds', 401, json({ 'www-authenticate': 'Bearer' }), error('unauthorized'))).toEqual([])
    expect(check('GET', '/api/auth/login', 405, json({ allow: 'POST' }), error('method_not_allowed'))).toEqual([])
    expect(check('GET', '/api/nope', 404, json(), error('not_found'))).toEqual([])
    expect(check('GET', '/api/messages?channelId=1', 200, json(), JSON.stringify([message]))).toEqual([])
  })

  test('flags an undocumented status, a missing field, a value out of its enum or format, and a wrong type', () => {
    expect(check('GET', '/api/guilds', 418, json(), error('internal'))).toHaveLength(1)
    expect(
      check('GET', '/api/guilds', 200, json(), JSON.stringify([{ ...guild, memberCount: undefined }])),
    ).toHaveLength(1)
    expect(check('GET', '/api/guilds', 200, json(), JSON.stringify([{ ...guild, memberCount: 2.5 }]))).toHaveLength(1)
    expect(
      check('GET', '/api/guilds', 401, json({ 'www-authenticate': 'Bearer' }), error('no_such_code')),
    ).toHaveLength(1)
    expect(
      check('GET', '/api/messages', 200, json(), JSON.stringify([{ ...message, timestamp: 'yesterday' }])),
    ).toHaveLength(1)
    expect(check('GET', '/api/guilds', 200, new Headers({ 'content-type': 'text/plain' }), '[]')).toHaveLength(1)
  })

  test('flags a missing required header: WWW-Authenticate on 401, Allow on 405, Retry-After on 429, Location on 201', () => {
    expect(check('GET', '/api/guilds', 401, json(), error('unauthorized'))).toHaveLength(1)
    expect(check('GET', '/api/auth/login', 405, json(), error('method_not_allowed'))).toHaveLength(1)
    expect(check('GET', '/api/messages', 429, json(), error('rate_limited'))).toHaveLength(1)
    expect(check('POST', '/api/messages', 201, json(), JSON.stringify(message))).toHaveLength(1)
  })

  test('flags an answer for a path or method that is no route, unless it is the 404 or 405', () => {
    expect(check('GET', '/api/nope', 200, json(), '{}')).toHaveLength(1)
    expect(check('GET', '/api/auth/login', 200, json(), '{}')).toHaveLength(1)
  })
})
