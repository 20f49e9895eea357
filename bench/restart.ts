import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import type { FakeInfo } from './fake-process.ts'
import { loginAll } from './logins.ts'
import { readSseFrames } from './sse-frames.ts'
import { runPhaseAlone, writePhaseResults } from './phase-files.ts'
import type { ProcessGroup } from './procs.ts'

/**
 * A restart with logged-in bots, as users run the service (`bun src/main.ts` on a SQLite DATA_DIR): SIGTERM, start
 * again on the same directory, and time until every session reads again. Counted by the fake Discord (its own
 * process): IDENTIFYs spent by the restart (goal 0: every bot RESUMEs), sessions lost (goal 0), and messages lost
 * or repeated on one SSE stream per bot that reconnects with Last-Event-ID while fake users keep posting.
 */
export type RestartResults = {
  bots: number
  /** SIGTERM → the old process gone. */
  stopMs: number
  /** SIGTERM → every session's GET /api/guilds answered 200 by the new process. */
  restartMs: number
  identifies: number
  resumes: number
  sessionsLost: number
  messagesPosted: number
  messagesLost: number
  messagesRepeated: number
}

const SERVICE_ENV = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  ADMIN_TOKEN: 'bench-restart-admin-token-0123456789',
  LOGIN_BURST: '1000000',
  LOGIN_PER_MINUTE: '1000000',
  LOGIN_MAX_PENDING_PER_IP: '100000',
}
const ROOT = new URL('..', import.meta.url).pathname
/** Each bot's fake user posts this often: 50 bots → 250 messages/s, a busy server's chat, kept up across the restart. */
const POST_EVERY_MS = 200

type Counters = { identifies: Record<string, number>; resumes: Record<string, number> }
const sum = (levels: Record<string, number>) => Object.values(levels).reduce((a, b) => a + b, 0)
const countersOf = async (fakeUrl: string) => (await (await fetch(`${fakeUrl}/_control/counters`)).json()) as Counters

/** The service from its own entry point; resolves with its URL once it listens. */
export async function startMain(group: ProcessGroup, env: Record<string, string>) {
  const child: Subprocess<'ignore', 'pipe', 'inherit'> = Bun.spawn([process.execPath, 'src/main.ts'], {
    cwd: ROOT,
    env: { ...Bun.env, ...SERVICE_ENV, ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'inherit',
  })
  group.adopt(child)
  const reader = child.stdout.getReader()
  const decoder = new TextDecoder()
  let text = ''
  for (let url = /"url":"(http:[^"]+)"/.exec(text)?.[1]; ; url = /"url":"(http:[^"]+)"/.exec(text)?.[1]) {
    if (url) {
      void (async () => {
        while (!(await reader.read()).done) {}
      })()
      return { child, url }
    }
    const chunk = await reader.read()
    if (chunk.done) throw new Error(`the service exited before listening (${child.exitCode})`)
    text += decoder.decode(chunk.value)
  }
}

type Stream = { contents: string[]; lastId: string; ended: boolean; stop: () => void }

/** GET /api/events (messageCreate), keeping each message's content and the last event id. */
async function openStream(url: string, sessionId: string, lastId: string | null): Promise<Stream> {
  const abort = new AbortController()
  const headers: Record<string, string> = { authorization: sessionId }
  if (lastId) headers['last-event-id'] = lastId
  const res = await fetch(`${url}/api/events?types=messageCreate`, { headers, signal: abort.signal })
  if (res.status !== 200 || !res.body) throw new Error(`GET /api/events answered ${res.status}`)
  const stream: Stream = { contents: [], lastId: lastId ?? '', ended: false, stop: () => abort.abort() }
  void readSseFrames(res.body, ({ id, event, data }) => {
    if (event !== 'messageCreate' || !id || !data) return
    stream.contents.push((JSON.parse(data) as { data: { content: string } }).data.content)
    stream.lastId = id
  }).then(() => {
    stream.ended = true
  })
  return stream
}

async function readsAgain(url: string, sessions: readonly string[]): Promise<number> {
  let failing = sessions.length
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
    const statuses = await Promise.all(
      sessions.map((sessionId) =>
        fetch(`${url}/api/guilds`, { headers: { authorization: sessionId } }).then(
          async (res) => {
            await res.arrayBuffer()
            return res.status
          },
          () => 0,
        ),
      ),
    )
    failing = statuses.filter((status) => status !== 200).length
    if (failing === 0 || statuses.includes(401)) return statuses.filter((status) => status === 401).length
    await Bun.sleep(20)
  }
  throw new Error(`${failing} sessions still not reading 2 minutes after the restart`)
}

export async function runRestartBench(group: ProcessGroup, say: (line: string) => void, quick: boolean) {
  const bots = quick ? 10 : 50
  const dataDir = mkdtempSync(join(tmpdir(), 'botvisor-bench-restart-'))
  const fake = await group.start<FakeInfo>('fake-process.ts', [String(bots)], { timeoutMs: 60_000 })
  try {
    const env = { DATA_DIR: dataDir, DISCORD_API_URL: fake.info.apiUrl }
    const first = await startMain(group, env)
    const targets = fake.info.bots.slice(0, bots)
    const logins = await loginAll(
      first.url,
      targets.map((bot) => bot.token),
      8,
    )
    say(`  ${bots} bots logged in (${Math.round(logins.wallMs)} ms)`)
    const streams = await Promise.all(logins.sessions.map((sessionId) => openStream(first.url, sessionId, null)))
    // fake users post to every bot, before, across and after the restart
    const posted = targets.map(() => [] as string[])
    let posting = true
    const poster = (async () => {
      for (let n = 0; posting; n++) {
        await Promise.all(
          targets.map(async (bot, i) => {
            const content = `r-${i}-${n}`
            posted[i]?.push(content)
            await fetch(`${fake.info.url}/_control/messages`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ channelId: bot.channelId, content }),
            }).then((res) => res.arrayBuffer())
          }),
        )
        await Bun.sleep(POST_EVERY_MS)
      }
    })()
    await Bun.sleep(500)
    const before = await countersOf(fake.info.url)

    const signalledAt = performance.now()
    first.child.kill('SIGTERM')
    const code = await first.child.exited
    const stopMs = performance.now() - signalledAt
    if (code !== 0) throw new Error(`the service exited ${code} on SIGTERM`)
    const second = await startMain(group, env)
    const sessionsLost = await readsAgain(second.url, logins.sessions)
    const restartMs = performance.now() - signalledAt
    const reconnected = await Promise.all(
      logins.sessions.map((sessionId, i) => openStream(second.url, sessionId, streams[i]?.lastId || null)),
    )
    await Bun.sleep(500)
    posting = false
    await poster
    // every message posted reaches its bot's stream (bounded): then count what is missing or twice
    const expected = posted.reduce((total, list) => total + list.length, 0)
    const seen = () =>
      streams.reduce((total, s, i) => total + s.contents.length + (reconnected[i]?.contents.length ?? 0), 0)
    for (const deadline = Date.now() + 30_000; seen() < expected && Date.now() < deadline; ) await Bun.sleep(50)
    let messagesLost = 0
    let messagesRepeated = 0
    posted.forEach((list, i) => {
      const got = [...(streams[i]?.contents ?? []), ...(reconnected[i]?.contents ?? [])]
      const counts = new Map<string, number>()
      for (const content of got) counts.set(content, (counts.get(content) ?? 0) + 1)
      for (const content of list) if (!counts.has(content)) messagesLost++
      for (const n of counts.values()) if (n > 1) messagesRepeated += n - 1
    })
    for (const stream of [...streams, ...reconnected]) stream.stop()
    const after = await countersOf(fake.info.url)
    const results: RestartResults = {
      bots,
      stopMs: Math.round(stopMs),
      restartMs: Math.round(restartMs),
      identifies: sum(after.identifies) - sum(before.identifies),
      resumes: sum(after.resumes) - sum(before.resumes),
      sessionsLost,
      messagesPosted: expected,
      messagesLost,
      messagesRepeated,
    }
    say(
      `  SIGTERM → every bot reading again: ${results.restartMs} ms (stop ${results.stopMs} ms); ${results.identifies} IDENTIFY, ${results.resumes} RESUME; ${sessionsLost} sessions lost; ${messagesLost} of ${expected} messages lost, ${messagesRepeated} repeated`,
    )
    second.child.kill('SIGTERM')
    await second.child.exited
    return results
  } finally {
    await fake.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export function writeRestartResults(results: RestartResults, quick = false) {
  writePhaseResults('restart', results, quick)
}

if (import.meta.main) await runPhaseAlone('restart', runRestartBench, writeRestartResults)
