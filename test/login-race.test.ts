import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { botKeyOf } from '../src/pool/pool.ts'
import { createHeldStore } from './support/held-store.ts'
import { startStack, waitFor, type Stack } from './support/stack.ts'

// Each interleaving is forced by holding one session-store write open, as a remote store's round trip would:
// no clock decides which request goes first.
const held = createHeldStore()
let stack: Stack
beforeAll(async () => {
  stack = await startStack({}, { sessions: held.store })
})
afterAll(() => stack.stop())

const running = (token: string) => {
  const bot = stack.service.pool.get(botKeyOf(token))
  return bot !== undefined && bot.state() === 'ready'
}
const connections = (name: 'beta' | 'solo') => stack.discord.counters().openConnections[name] ?? 0

async function expectStopped(token: string, name: 'beta' | 'solo') {
  await waitFor(() => stack.service.pool.get(botKeyOf(token)) === undefined && connections(name) === 0)
  expect(stack.service.pool.leases(botKeyOf(token))).toBe(0)
}

describe('logins and logouts of one bot, interleaved, never leave a session on a stopped bot', () => {
  test('the last session logs out while another login has joined the bot but not yet stored its session: the bot stays up for it', async () => {
    const token = stack.discord.tokens.beta
    const first = (await stack.login(token)).sessionId
    const storing = held.hold('create')
    const second = stack.login(token)
    await storing.reached // the second login holds its lease and waits on the store

    expect((await stack.post('/api/auth/logout', {}, first)).status).toBe(200)
    expect(running(token)).toBe(true)
    expect(connections('beta')).toBe(1)

    storing.release()
    const { sessionId } = await second
    expect((await stack.get('/api/guilds', sessionId)).status).toBe(200)
    expect(stack.service.pool.leases(botKeyOf(token))).toBe(1)

    expect((await stack.post('/api/auth/logout', {}, sessionId)).status).toBe(200)
    await expectStopped(token, 'beta')
  })

  test('a login arrives while the last session is being deleted: it joins the bot, which stays up', async () => {
    const token = stack.discord.tokens.beta
    const first = (await stack.login(token)).sessionId
    const deleting = held.hold('delete')
    const logout = stack.post('/api/auth/logout', {}, first)
    await deleting.reached

    const { sessionId } = await stack.login(token)
    deleting.release()
    expect((await logout).status).toBe(200)
    expect(running(token)).toBe(true)
    expect((await stack.get('/api/guilds', sessionId)).status).toBe(200)

    expect((await stack.post('/api/auth/logout', {}, sessionId)).status).toBe(200)
    await expectStopped(token, 'beta')
  })

  test('the same session logged out twice at once gives its lease back once: the other session keeps the bot', async () => {
    const token = stack.discord.tokens.beta
    const first = (await stack.login(token)).sessionId
    const other = (await stack.login(token)).sessionId
    const deleting = held.hold('delete')
    const logouts = [stack.post('/api/auth/logout', {}, first), stack.post('/api/auth/logout', {}, first)]
    await deleting.reached // one logout waits inside the delete; the other is past its session check too
    deleting.release()
    const statuses = (await Promise.all(logouts)).map((reply) => reply.status)
    expect(statuses).toContain(200)
    expect(running(token)).toBe(true)
    expect(stack.service.pool.leases(botKeyOf(token))).toBe(1)
    expect((await stack.get('/api/guilds', other)).status).toBe(200)

    expect((await stack.post('/api/auth/logout', {}, other)).status).toBe(200)
    await expectStopped(token, 'beta')
  })

  test('a login whose session cannot be stored gives its lease back: the bot it started stops', async () => {
    const token = stack.discord.tokens.solo
    held.failNext('create')
    const reply = await stack.post('/api/auth/login', { token })
    expect(reply.status).toBe(500)
    expect(reply.json).toMatchObject({ code: 'internal' })
    await expectStopped(token, 'solo')
  })
})

test('any burst of concurrent logins and logouts of one bot ends with one lease per session, and the bot up exactly while one exists', async () => {
  const token = stack.discord.tokens.beta
  const botKey = botKeyOf(token)
  const sessionIds: string[] = []
  // each step: how many logins and which existing sessions log out, all sent at once
  const step = fc.record({ logins: fc.integer({ min: 0, max: 3 }), logouts: fc.array(fc.nat(), { maxLength: 4 }) })
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 4 }), async (steps) => {
      for (const { logins, logouts } of steps) {
        const leaving = [
          ...new Set(logouts.map((n) => sessionIds[n % Math.max(1, sessionIds.length)]).filter(Boolean)),
        ] as string[]
        const replies = await Promise.all([
          ...Array.from({ length: logins }, () => stack.post('/api/auth/login', { token })),
          ...leaving.map((id) => stack.post('/api/auth/logout', {}, id)),
        ])
        for (const reply of replies) expect(reply.status).toBe(200)
        for (const id of leaving) sessionIds.splice(sessionIds.indexOf(id), 1)
        sessionIds.push(...replies.slice(0, logins).map((reply) => reply.json.sessionId as string))

        expect(stack.service.pool.leases(botKey)).toBe(sessionIds.length)
        expect(await stack.service.sessions.countForBot(botKey)).toBe(sessionIds.length)
        expect(running(token)).toBe(sessionIds.length > 0)
        for (const id of sessionIds) expect((await stack.get('/api/guilds', id)).status).toBe(200)
      }
    }),
    { numRuns: 8 },
  )
  await Promise.all(sessionIds.map((id) => stack.post('/api/auth/logout', {}, id)))
  await expectStopped(token, 'beta')
}, 60_000)
