import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Writable } from 'node:stream'
import { createLogger } from '../src/log.ts'
import { createLogThrottle } from '../src/observability/log-throttle.ts'
import { startStack, waitFor, type Stack } from './support/stack.ts'

type Line = { level: number; msg: string; suppressed?: number; err?: unknown; code?: string }
const parse = (lines: string[]): Line[] => lines.map((line) => JSON.parse(line) as Line)

describe('errors a client causes', () => {
  let stack: Stack
  let alpha: string
  beforeAll(async () => {
    // one line per key for the whole test: the assertion cannot depend on how fast the machine is
    stack = await startStack({ LOG_REPEAT_INTERVAL_MS: '600000', DISCORD_REFUSAL_CACHE_MS: '0' })
    alpha = (await stack.login(stack.discord.tokens.alpha)).sessionId
  })
  afterAll(() => stack.stop())

  test("Discord's refusals, bad input and junk tokens: no error line, no stack, one line per kind", async () => {
    const from = stack.logs.length
    const hidden = `/api/messages?channelId=${stack.discord.world.ids.hiddenChannel}`
    for (let i = 0; i < 15; i++) {
      expect((await stack.get(hidden, alpha)).status).toBe(403)
      expect((await stack.get('/api/messages?channelId=nope', alpha)).status).toBe(400)
      expect((await stack.get('/api/guilds', 'not-a-session')).status).toBe(401)
    }
    for (let i = 0; i < 3; i++) {
      expect((await stack.request('POST', '/api/auth/login', { body: { token: `junk-${i}` } })).status).toBe(401)
    }
    const lines = parse(stack.logs.slice(from))
    expect(lines.filter((line) => line.level >= 50)).toEqual([])
    expect(lines.filter((line) => line.err !== undefined || JSON.stringify(line).includes('    at '))).toEqual([])
    const detail = lines.filter((line) => line.msg !== 'request' && line.code !== undefined)
    const byCode = Object.groupBy(detail, (line) => line.code ?? '')
    expect(byCode.forbidden?.length).toBe(1)
    expect(byCode.bad_request?.length).toBe(1)
    expect(byCode.unauthorized?.length).toBeLessThanOrEqual(2) // the session 401 and the login's, each once
  })
})

describe('the log throttle', () => {
  const capture = () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    })
    return { lines, log: createLogger('info', sink) }
  }

  test('writes a key once per interval, then tells how many it left out', () => {
    const { lines, log } = capture()
    let now = 0
    const quiet = createLogThrottle(log, 1000, () => now)
    for (let i = 0; i < 5; i++) quiet.write('warn', 'a', { code: 'x' }, 'refused')
    quiet.write('warn', 'b', { code: 'y' }, 'other')
    expect(parse(lines).map((line) => line.msg)).toEqual(['refused', 'other'])
    now = 1000
    quiet.write('warn', 'a', { code: 'x' }, 'refused')
    expect(parse(lines).at(-1)).toMatchObject({ msg: 'refused', suppressed: 4, level: 40 })
  })

  test('a burst that stops still reports its count once the interval is over', async () => {
    const { lines, log } = capture()
    const quiet = createLogThrottle(log, 20)
    for (let i = 0; i < 4; i++) quiet.write('info', 'k', { code: 'z' }, 'bad input')
    const summary = await waitFor(() => parse(lines).find((line) => line.msg === 'bad input (repeated)'))
    expect(summary.suppressed).toBe(3)
  })
})
