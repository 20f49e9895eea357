import { afterAll, expect, test } from 'bun:test'
import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/log.ts'
import { startService } from '../src/service.ts'
import { expectDocumented } from './support/openapi-check.ts'

// No route here reaches a worker: the service runs without a spare worker.
const service = startService(
  loadConfig({ PORT: '0', LOG_LEVEL: 'silent', WARM_SPARE_WORKERS: '0' }),
  createLogger('silent'),
)
afterAll(() => service.stop())

test('GET /docs/<name of an inherited property> is a JSON 404, not a 500', async () => {
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
    const res = await fetch(`${service.url}/docs/${name}`)
    const text = await res.text()
    await expectDocumented(service.url, 'GET', `/docs/${name}`, res, text)
    expect(res.status).toBe(404)
    expect(JSON.parse(text).code).toBe('not_found')
  }
  // the real assets are still served
  expect((await fetch(`${service.url}/docs/swagger-ui.css`)).status).toBe(200)
})
