import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startFakeDiscord, type FakeDiscord } from '../../fake-discord/index.ts'
import { api, waitFor } from './test-support.ts'

let fake: FakeDiscord
beforeAll(async () => {
  fake = await startFakeDiscord({ port: 0 })
})
afterAll(() => fake.stop())

describe('errors as Discord sends them', () => {
  test('a missing, unknown or reset token gets 401 with code 0', async () => {
    for (const token of [null, fake.invalidToken, fake.tokens.revoked, 'not-a-token']) {
      const reply = await api(fake, token, 'GET', '/users/@me')
      expect(reply.status).toBe(401)
      expect(reply.json).toEqual({ message: '401: Unauthorized', code: 0 })
    }
  })

  test('unknown things are 404 with their codes; unknown routes 404 code 0; wrong methods 405', async () => {
    const unknown = '1100000000000000000'
    const { ids } = fake.world
    const cases: [string, string, number, string][] = [
      ['GET', `/guilds/${unknown}`, 10004, 'Unknown Guild'],
      ['GET', `/channels/${unknown}`, 10003, 'Unknown Channel'],
      ['GET', `/channels/${ids.generalChannel}/messages/${unknown}`, 10008, 'Unknown Message'],
      ['GET', `/guilds/${ids.bigGuild}/members/${unknown}`, 10007, 'Unknown Member'],
      ['GET', '/nothing/here', 0, '404: Not Found'],
    ]
    for (const [method, path, code, message] of cases) {
      const reply = await api(fake, fake.tokens.alpha, method, path)
      expect({ path, status: reply.status, body: reply.json }).toEqual({ path, status: 404, body: { message, code } })
    }
    const wrongMethod = await api(fake, fake.tokens.alpha, 'DELETE', '/users/@me')
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.json).toEqual({ message: '405: Method Not Allowed', code: 0 })
  })

  test('a channel the bot cannot view, or a guild it is not in, is 403 Missing Access (50001)', async () => {
    const { ids } = fake.world
    const missingAccess = { message: 'Missing Access', code: 50001 }
    for (const [token, path] of [
      [fake.tokens.alpha, `/channels/${ids.hiddenChannel}`],
      [fake.tokens.alpha, `/channels/${ids.hiddenChannel}/messages`],
      [fake.tokens.beta, `/guilds/${ids.partialGuild}`],
      [fake.tokens.beta, `/channels/${ids.partialGeneralChannel}`],
      [fake.tokens.solo, `/guilds/${ids.bigGuild}/channels`],
    ] as const) {
      const reply = await api(fake, token, 'GET', path)
      expect({ path, status: reply.status, body: reply.json }).toEqual({ path, status: 403, body: missingAccess })
    }
  })

  test('listing members without the Server Members intent enabled is 403 Missing Access', async () => {
    const reply = await api(fake, fake.tokens.gamma, 'GET', `/guilds/${fake.world.ids.bigGuild}/members?limit=5`)
    expect(reply.status).toBe(403)
    expect(reply.json).toEqual({ message: 'Missing Access', code: 50001 })
  })

  test('posting where the bot may view but not send is 403 Missing Permissions (50013)', async () => {
    const channel = fake.world.ids.readOnlyChannel
    expect((await api(fake, fake.tokens.alpha, 'GET', `/channels/${channel}/messages`)).status).toBe(200)
    const reply = await api(fake, fake.tokens.alpha, 'POST', `/channels/${channel}/messages`, { content: 'hi' })
    expect(reply.status).toBe(403)
    expect(reply.json).toEqual({ message: 'Missing Permissions', code: 50013 })
  })

  test("bad bodies and queries are 400 with Discord's codes and error trees", async () => {
    const channel = `/channels/${fake.world.ids.generalChannel}/messages`
    const tooLong = await api(fake, fake.tokens.alpha, 'POST', channel, { content: 'x'.repeat(2001) })
    expect(tooLong.status).toBe(400)
    expect(tooLong.json).toEqual({
      message: 'Invalid Form Body',
      code: 50035,
      errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } },
    })
    const empty = await api(fake, fake.tokens.alpha, 'POST', channel, { content: '' })
    expect(empty.json).toEqual({ message: 'Cannot send an empty message', code: 50006 })
    const notJson = await api(fake, fake.tokens.alpha, 'POST', channel, '{nope')
    expect(notJson.json).toMatchObject({ code: 50109 })
    const badLimit = await api(fake, fake.tokens.alpha, 'GET', `${channel}?limit=abc`)
    expect(badLimit.json).toEqual({
      message: 'Invalid Form Body',
      code: 50035,
      errors: { limit: { _errors: [{ code: 'NUMBER_TYPE_COERCE', message: 'Value "abc" is not int.' }] } },
    })
    const bigLimit = await api(fake, fake.tokens.alpha, 'GET', `${channel}?limit=101`)
    expect(bigLimit.json.errors.limit._errors[0].code).toBe('NUMBER_TYPE_MAX')
    const badBefore = await api(fake, fake.tokens.alpha, 'GET', `${channel}?before=yesterday`)
    expect(badBefore.json.errors).toEqual({
      before: { _errors: [{ code: 'NUMBER_TYPE_COERCE', message: 'Value "yesterday" is not snowflake.' }] },
    })
    const badPath = await api(fake, fake.tokens.alpha, 'GET', '/channels/general')
    expect(badPath.status).toBe(400)
    expect(badPath.json.errors).toEqual({
      channel_id: { _errors: [{ code: 'NUMBER_TYPE_COERCE', message: 'Value "general" is not snowflake.' }] },
    })
  })

  test("editing another user's message is 403 50005", async () => {
    const [message] = fake.world.messagesOf(fake.world.ids.generalChannel)
    const reply = await api(
      fake,
      fake.tokens.alpha,
      'PATCH',
      `/channels/${fake.world.ids.generalChannel}/messages/${message?.id}`,
      { content: 'mine now' },
    )
    expect(reply.json).toEqual({ message: 'Cannot edit a message authored by another user', code: 50005 })
  })
})

describe('faults and rate limits', () => {
  test('an exhausted bucket answers a real 429 until it resets, then serves again', async () => {
    fake.control.exhaustBucket({ bot: 'beta', route: 'GET /users/@me', retryAfterMs: 200 })
    const before = fake.counters().rateLimited429
    const limited = await api(fake, fake.tokens.beta, 'GET', '/users/@me')
    expect(limited.status).toBe(429)
    expect(limited.json).toEqual({
      message: 'You are being rate limited.',
      retry_after: expect.any(Number),
      global: false,
    })
    expect(limited.json.retry_after).toBeGreaterThan(0)
    expect(limited.headers.get('Retry-After')).toBe('1')
    expect(limited.headers.get('X-RateLimit-Scope')).toBe('user')
    expect(limited.headers.get('X-RateLimit-Remaining')).toBe('0')
    expect(fake.counters().rateLimited429).toBe(before + 1)
    const served = await waitFor(async () => (await api(fake, fake.tokens.beta, 'GET', '/users/@me')).status === 200, {
      what: 'the bucket to reset',
    })
    expect(served).toBe(true)
  })

  test('the other bots and routes are not affected by one exhausted bucket', async () => {
    fake.control.exhaustBucket({ bot: 'beta', route: 'GET /applications/@me', retryAfterMs: 60_000 })
    expect((await api(fake, fake.tokens.alpha, 'GET', '/applications/@me')).status).toBe(200)
    expect((await api(fake, fake.tokens.beta, 'GET', '/users/@me')).status).toBe(200)
    fake.control.clearFaults()
    expect((await api(fake, fake.tokens.beta, 'GET', '/applications/@me')).status).toBe(200)
  })

  test('failRest answers 5xx the given number of times, for the given bot and route only', async () => {
    fake.control.failRest({ bot: 'alpha', route: 'GET /users/@me', status: 503, count: 1 })
    expect((await api(fake, fake.tokens.beta, 'GET', '/users/@me')).status).toBe(200)
    expect((await api(fake, fake.tokens.alpha, 'GET', '/gateway/bot')).status).toBe(200)
    expect((await api(fake, fake.tokens.alpha, 'GET', '/users/@me')).status).toBe(503)
    expect((await api(fake, fake.tokens.alpha, 'GET', '/users/@me')).status).toBe(200)
  })

  test('a delay fault without a status answers normally, later', async () => {
    fake.control.failRest({ bot: 'gamma', route: 'GET /users/@me', delayMs: 20, count: 1 })
    expect((await api(fake, fake.tokens.gamma, 'GET', '/users/@me')).status).toBe(200)
  })

  test('a hung route never answers until the caller gives up', async () => {
    fake.control.failRest({ route: 'GET /gateway', hang: true })
    const gaveUp = await fetch(`${fake.apiUrl}/v10/gateway`, {
      headers: { authorization: `Bot ${fake.tokens.alpha}` },
      signal: AbortSignal.timeout(100),
    }).then(
      () => 'answered',
      (error: Error) => error.name,
    )
    expect(gaveUp).toBe('TimeoutError')
    fake.control.clearFaults()
    expect((await api(fake, fake.tokens.alpha, 'GET', '/gateway')).status).toBe(200)
  })

  test('counters count REST calls per bot and route key, never by token', async () => {
    fake.control.resetCounters()
    await api(fake, fake.tokens.solo, 'GET', `/channels/${fake.world.ids.soloGeneralChannel}/messages`)
    await api(fake, fake.tokens.solo, 'GET', `/channels/${fake.world.ids.soloGeneralChannel}/messages`)
    const counters = fake.counters()
    expect(counters.rest.solo).toEqual({ 'GET /channels/:id/messages': 2 })
    expect(counters.restTotal).toBe(2)
    expect(JSON.stringify(counters)).not.toContain(fake.tokens.solo)
  })
})

describe('the control API over HTTP', () => {
  test('posts a message as a seeded user and reads counters', async () => {
    const res = await fetch(`${fake.url}/_control/messages`, {
      method: 'POST',
      body: JSON.stringify({ channelId: fake.world.ids.smallGeneralChannel, content: 'from the CLI' }),
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ content: 'from the CLI', author: { id: fake.world.ids.humanUser } })
    const counters = await (await fetch(`${fake.url}/_control/counters`)).json()
    expect(counters).toMatchObject({ restTotal: expect.any(Number), rateLimited429: expect.any(Number) })
    const bad = await fetch(`${fake.url}/_control/faults`, { method: 'POST', body: JSON.stringify({ status: 418 }) })
    expect(bad.status).toBe(400)
  })
})
