import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeDiscord, type FakeDiscord } from '../fake-discord/index.ts'
import { loginOver, mainProcesses, readStatus } from './support/main-process.ts'
import { openSse } from './support/sse.ts'
import { waitFor } from './support/stack.ts'

/**
 * Restarts as users run them: `bun src/main.ts` in a child process on a SQLite file in a temp dir, stopped by a
 * signal and started again on the same directory; the fake Discord lives in this process and counts IDENTIFYs
 * and RESUMEs per bot.
 */
const BOTS = 10
const SESSIONS_PER_BOT = 3

let discord: FakeDiscord
beforeAll(async () => {
  discord = await startFakeDiscord({ port: 0, extraBots: BOTS })
})
afterAll(() => discord.stop())

const mains = mainProcesses()
const dirs: string[] = []
afterEach(() => {
  mains.killAll()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function envFor(dataDir: string): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    DISCORD_API_URL: discord.apiUrl,
    ADMIN_TOKEN: 'restart-test-admin-token-0123456789',
    LOGIN_BURST: '100000',
    LOGIN_PER_MINUTE: '100000',
    LOGIN_MAX_PENDING_PER_IP: '10000',
  }
}
const freshDataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'botvisor-restart-'))
  dirs.push(dir)
  return dir
}
const benchToken = (i: number) => {
  const bot = discord.world.bots[`bench-${i}`]
  if (!bot) throw new Error(`no bench-${i}`)
  return bot.token
}
const count = (levels: Partial<Record<string, number>>, bot: string) => levels[bot] ?? 0

/** A child process start, logins of many bots and a restart: bounded, but well above what the 2-core box needs. */
const SLOW_TEST_MS = 120_000

/** Until every session reads again: a request for a bot still coming back waits RESTART_WAIT_MS, then 503. */
async function allRead(url: string, sessionIds: string[]) {
  await waitFor(
    async () => {
      const statuses = await Promise.all(sessionIds.map((sessionId) => readStatus(url, sessionId)))
      return statuses.every((status) => status === 200) || undefined
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  )
}

describe('restart on the same data directory', () => {
  test(
    `SIGTERM with ${BOTS} bots of ${SESSIONS_PER_BOT} sessions each, then start: the same session ids work, every bot RESUMEd, no IDENTIFY`,
    async () => {
      const dataDir = freshDataDir()
      const first = await mains.start(envFor(dataDir))
      const sessions = new Map<number, string[]>()
      await Promise.all(
        Array.from({ length: BOTS }, async (_, i) => {
          const ids: string[] = []
          for (let n = 0; n < SESSIONS_PER_BOT; n++) ids.push(await loginOver(first.url, benchToken(i)))
          sessions.set(i, ids)
        }),
      )
      const all = [...sessions.values()].flat()
      await allRead(first.url, all)
      const before = discord.counters()

      expect(await first.stop('SIGTERM')).toBe(0)
      // what the restart reads back holds no token and no session id in clear (the WAL included)
      const files = readdirSync(dataDir).map((name) => readFileSync(join(dataDir, name)).toString('latin1'))
      for (const secret of [...all, ...Array.from({ length: BOTS }, (_, i) => benchToken(i))]) {
        expect(files.some((bytes) => bytes.includes(secret))).toBe(false)
      }
      // every connection closed, resumably (not 1000): Discord keeps the sessions
      for (let i = 0; i < BOTS; i++) expect(count(discord.counters().openConnections, `bench-${i}`)).toBe(0)

      const second = await mains.start(envFor(dataDir))
      expect(second.output().stdout).toContain(`"restoredBots":${BOTS}`)
      await allRead(second.url, all)
      const after = discord.counters()
      for (let i = 0; i < BOTS; i++) {
        const bot = `bench-${i}`
        expect({ bot, identifies: count(after.identifies, bot) }).toEqual({
          bot,
          identifies: count(before.identifies, bot),
        })
        expect({ bot, resumes: count(after.resumes, bot) }).toEqual({ bot, resumes: count(before.resumes, bot) + 1 })
        expect(count(after.openConnections, bot)).toBe(1)
      }
      // the sessions still count as leases: logging out all of one bot's sessions stops it
      for (const sessionId of sessions.get(0) ?? []) {
        const res = await fetch(`${second.url}/api/auth/logout`, {
          method: 'POST',
          headers: { authorization: sessionId },
        })
        expect(res.status).toBe(200)
      }
      await waitFor(() => count(discord.counters().openConnections, 'bench-0') === 0)
      expect(await second.stop('SIGTERM')).toBe(0)
    },
    SLOW_TEST_MS,
  )

  test(
    'a bot whose sessions all logged out does not come back; its session is refused, the others are not',
    async () => {
      const dataDir = freshDataDir()
      const first = await mains.start(envFor(dataDir))
      const kept = await loginOver(first.url, benchToken(0))
      const gone = [await loginOver(first.url, benchToken(1)), await loginOver(first.url, benchToken(1))]
      for (const sessionId of gone) {
        const res = await fetch(`${first.url}/api/auth/logout`, {
          method: 'POST',
          headers: { authorization: sessionId },
        })
        expect(res.status).toBe(200)
      }
      await waitFor(() => count(discord.counters().openConnections, 'bench-1') === 0)
      expect(await first.stop('SIGTERM')).toBe(0)
      const before = discord.counters()

      const second = await mains.start(envFor(dataDir))
      expect(second.output().stdout).toContain('"restoredBots":1')
      await allRead(second.url, [kept])
      expect(await readStatus(second.url, gone[0] ?? '')).toBe(401)
      const after = discord.counters()
      expect(count(after.identifies, 'bench-1')).toBe(count(before.identifies, 'bench-1'))
      expect(count(after.resumes, 'bench-1')).toBe(count(before.resumes, 'bench-1'))
      expect(count(after.openConnections, 'bench-1')).toBe(0)
      expect(await second.stop('SIGTERM')).toBe(0)
    },
    SLOW_TEST_MS,
  )

  test(
    'SIGKILL, then start: every session and bot survives; each bot RESUMEs what was saved or else IDENTIFYs, once',
    async () => {
      const dataDir = freshDataDir()
      const first = await mains.start(envFor(dataDir))
      const tokens = [benchToken(2), benchToken(3), benchToken(4)]
      const all: string[] = []
      for (const token of tokens) all.push(await loginOver(first.url, token), await loginOver(first.url, token))
      // committed before its 200: the login answered just before the kill is there after it
      all.push(await loginOver(first.url, tokens[0] ?? ''))
      const before = discord.counters()
      expect(await first.stop('SIGKILL')).toBeNull()

      const second = await mains.start(envFor(dataDir))
      expect(second.output().stdout).toContain(`"restoredBots":${tokens.length}`)
      await allRead(second.url, all)
      const after = discord.counters()
      for (const bot of ['bench-2', 'bench-3', 'bench-4']) {
        const identified = count(after.identifies, bot) - count(before.identifies, bot)
        const resumed = count(after.resumes, bot) - count(before.resumes, bot)
        expect({ bot, comebacks: identified + resumed }).toEqual({ bot, comebacks: 1 })
        expect(count(after.openConnections, bot)).toBe(1)
      }
      expect(await second.stop('SIGTERM')).toBe(0)
    },
    SLOW_TEST_MS,
  )

  test(
    'an SSE client reconnecting with Last-Event-ID after the restart misses nothing and repeats nothing',
    async () => {
      const dataDir = freshDataDir()
      const channelId = discord.world.ids.soloGeneralChannel
      const posted: string[] = []
      const post = (content: string) => {
        discord.control.postMessage({ channelId, content })
        posted.push(content)
      }
      const first = await mains.start(envFor(dataDir))
      const sessionId = await loginOver(first.url, discord.tokens.solo)
      const before = await openSse(first.url, '/api/events?types=messageCreate', sessionId)
      expect(before.status).toBe(200)
      for (let n = 0; n < 3; n++) post(`before-${n}`)
      await before.until((r) => r.of('messageCreate').length >= 3)
      // the fake user keeps posting while the service stops, is down, and comes back
      let posting = true
      const during = (async () => {
        for (let n = 0; posting; n++) {
          post(`across-${n}`)
          await Bun.sleep(5)
        }
      })()
      const stopped = first.stop('SIGTERM')
      await before.until((r) => r.ended)
      expect(await stopped).toBe(0)
      const lastId = before.of('messageCreate').at(-1)?.id ?? ''
      const second = await mains.start(envFor(dataDir))
      posting = false
      await during
      post('after')
      const after = await openSse(second.url, '/api/events?types=messageCreate', sessionId, { 'last-event-id': lastId })
      expect(after.status).toBe(200)
      await after.until((r) => r.of('messageCreate').some((frame) => frame.data.data.content === 'after'), 60_000)
      after.close()

      expect(after.frames.filter((frame) => frame.event === 'gap')).toEqual([])
      const seen = [...before.of('messageCreate'), ...after.of('messageCreate')]
      expect(seen.map((frame) => frame.data.data.content)).toEqual(posted)
      const ids = seen.map((frame) => Number(frame.id))
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
      expect(new Set(ids).size).toBe(ids.length)
      // Discord replayed what the service did not publish before it stopped: a RESUME, no IDENTIFY
      expect(second.output().stdout).toContain('"restoredBots":1')
      expect(await second.stop('SIGTERM')).toBe(0)
    },
    SLOW_TEST_MS,
  )

  test(
    'a session whose bot is still coming back waits RESTART_WAIT_MS, then 503 with Retry-After: never a 401',
    async () => {
      const dataDir = freshDataDir()
      const env = { ...envFor(dataDir), RESTART_WAIT_MS: '100', RPC_TIMEOUT_MS: '30000' }
      const first = await mains.start(env)
      const sessionId = await loginOver(first.url, benchToken(5))
      expect(await first.stop('SIGTERM')).toBe(0)
      // the restored bot's RESUME waits on the REST reads READY is rebuilt from: hold the first one
      const route = 'GET /users/@me/guilds'
      const asked = () => discord.counters().rest['bench-5']?.[route] ?? 0
      const before = asked()
      discord.control.failRest({ bot: 'bench-5', route, hang: true, count: 1 })
      try {
        const second = await mains.start(env)
        await waitFor(() => asked() > before, { timeoutMs: 20_000 })
        const res = await fetch(`${second.url}/api/guilds`, { headers: { authorization: sessionId } })
        expect(res.status).toBe(503)
        expect(res.headers.get('retry-after')).toBeTruthy()
        expect(((await res.json()) as { code: string }).code).toBe('bot_unavailable')
        await second.stop('SIGKILL')
      } finally {
        discord.control.clearFaults()
      }
    },
    SLOW_TEST_MS,
  )
})
