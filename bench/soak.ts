import type { BenchBot, FakeInfo } from './fake-process.ts'
import { loginAll } from './logins.ts'
import type { ProcessGroup } from './procs.ts'
import { judgeSoak, nothingLeftBehind, writeSoakReport, type SoakMinute, type SoakResults } from './soak-report.ts'
import type { SoakCensus, SoakSample, SoakServiceInfo } from './soak-service.ts'

/**
 * `bun run bench --soak [--minutes N]`: the service in its own process against the fake Discord (its own too),
 * 50 bots under mixed traffic at a fixed rate, login/logout churn on other bots and a few injected worker
 * crashes. The traffic comes from this process, open loop (sent on schedule, not after the previous answer), so a
 * slow service shows as latency instead of as a lower rate.
 */
const BOTS = 50
const CHURN_BOTS = 5
const RATE_PER_SECOND = 600
const TICK_MS = 10
const MAX_IN_FLIGHT = 2_000 // past this the generator skips (and counts) sends instead of piling up sockets
const WARMUP_MS = 30_000
const CHURN_EVERY_MS = 2_000
/** A 5xx for a crashed bot sent from its crash until this long after it answers ready again is the crash's. */
const CRASH_GRACE_MS = 1_000
/** A logged-out bot's thread is reset, then kept or terminated, after its logout answered: counted until then. */
const LEFTOVERS_SETTLE_MS = 10_000

type Kind = 'guilds' | 'channels' | 'members' | 'messages' | 'send'
// reads dominate, as they do for a dashboard; one in ten requests sends a message
const MIX: readonly Kind[] = [
  'guilds',
  'guilds',
  'channels',
  'channels',
  'members',
  'members',
  'messages',
  'messages',
  'messages',
  'send',
]

type Logged = { bot: BenchBot; session: string }
type CrashWindow = { token: string; fromMs: number; toMs: number }

export async function runSoak(group: ProcessGroup, minutes: number, say: (line: string) => void): Promise<SoakResults> {
  say(`botvisor soak: ${minutes} min, ${BOTS} bots, ${RATE_PER_SECOND} req/s mixed, churn on ${CHURN_BOTS} more bots`)
  const fake = await group.start<FakeInfo>('fake-process.ts', [String(BOTS + CHURN_BOTS)], { timeoutMs: 60_000 })
  const service = await group.start<SoakServiceInfo>('soak-service.ts', [
    fake.info.apiUrl,
    String(BOTS + CHURN_BOTS + 5),
  ])
  const { url } = service.info
  const control = async <T>(route: string, body: unknown = {}): Promise<T> => {
    const res = await fetch(`${service.info.controlUrl}/${route}`, { method: 'POST', body: JSON.stringify(body) })
    if (!res.ok) throw new Error(`soak control ${route}: ${res.status} ${await res.text()}`)
    return (await res.json()) as T
  }
  const stable = fake.info.bots.slice(0, BOTS)
  const churners = fake.info.bots.slice(BOTS, BOTS + CHURN_BOTS)
  const logins = await loginAll(
    url,
    stable.map((bot) => bot.token),
    8,
  )
  const logged: Logged[] = stable.map((bot, i) => ({ bot, session: logins.sessions[i] ?? '' }))
  say(`  ${BOTS} bots logged in in ${(logins.wallMs / 1000).toFixed(1)} s`)

  const runId = Date.now().toString(36)
  const crashes: CrashWindow[] = []
  const sent201 = new Map<string, number>() // channel → sends Discord confirmed (201)
  const sendsUnknown = new Map<string, number>() // channel → sends that got anything else
  let minute = newMinute(0)
  let inFlight = 0
  let sentTotal = 0
  let sendSeq = 0
  let phase: 'warmup' | 'measured' = 'warmup' // in each message's content: only the measured ones are counted

  const isInjected = (token: string, sentAtMs: number) =>
    crashes.some((crash) => crash.token === token && sentAtMs >= crash.fromMs && sentAtMs <= crash.toMs)

  const fire = (target: Logged, kind: Kind) => {
    const { bot, session } = target
    const sentAtMs = Date.now()
    const started = performance.now()
    const bucket = minute
    let request: Promise<Response>
    if (kind === 'send') {
      const content = `soak ${runId} ${phase} ${sendSeq++}`
      request = fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { authorization: session, 'content-type': 'application/json' },
        body: JSON.stringify({ channelId: bot.channelId, content }),
      })
    } else {
      request = fetch(`${url}${pathFor(kind, bot)}`, { headers: { authorization: session } })
    }
    inFlight++
    void request // every outcome is booked below; nothing else waits on it
      .then(
        async (res) => {
          await res.arrayBuffer()
          return res.status
        },
        () => 0,
      )
      .then((status) => {
        inFlight--
        bucket.latenciesMs.push(performance.now() - started)
        bucket.requests++
        if (kind === 'send') {
          const book = status === 201 ? sent201 : sendsUnknown
          book.set(bot.channelId, (book.get(bot.channelId) ?? 0) + 1)
        }
        if (status >= 200 && status < 300) bucket.ok++
        else if (status >= 400 && status < 500) bucket.clientErrors++
        else if (isInjected(bot.token, sentAtMs)) bucket.injected5xx++
        else bucket.server5xx++ // a 5xx, or 0: no answer at all
      })
  }

  /** Sends on a fixed schedule until `untilMs`; rolls the per-minute bucket when `perMinute` is set. */
  const traffic = async (untilMs: number, onMinute?: () => Promise<void>) => {
    const startedMs = Date.now()
    let sent = 0
    let nextMinuteMs = startedMs + 60_000
    while (Date.now() < untilMs) {
      const due = Math.floor(((Date.now() - startedMs) * RATE_PER_SECOND) / 1000) - sent
      for (let i = 0; i < due; i++, sent++) {
        if (inFlight >= MAX_IN_FLIGHT) {
          minute.skipped++
          continue
        }
        const n = sentTotal++
        fire(logged[n % BOTS] as Logged, MIX[Math.floor(n / BOTS) % MIX.length] as Kind)
      }
      if (onMinute && Date.now() >= nextMinuteMs) {
        nextMinuteMs += 60_000
        await onMinute()
      }
      await Bun.sleep(TICK_MS)
    }
  }
  const drain = async () => {
    for (const deadline = Date.now() + 30_000; inFlight > 0 && Date.now() < deadline; ) await Bun.sleep(50)
  }

  // churn: other bots log in and out, one after another, for the whole run, warm-up included: a logout leaves its
  // thread idle for the next login (up to IDLE_WORKERS), so the start sample must already hold that pool, or the
  // RSS check would count the pool filling up (2 threads, ~45 MB: the +5.2 % of the run of 2026-12-07 14:08) as growth
  let churning = true
  const churn = { logins: 0, logouts: 0, failures: 0 }
  const churnLoop = (async () => {
    for (let i = 0; churning; i++) {
      const bot = churners[i % CHURN_BOTS] as BenchBot
      try {
        const login = await fetch(`${url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token: bot.token }),
        })
        const { sessionId } = (await login.json()) as { sessionId?: string }
        if (login.status !== 200 || !sessionId) throw new Error(`login ${login.status}`)
        churn.logins++
        await (await fetch(`${url}/api/guilds`, { headers: { authorization: sessionId } })).arrayBuffer()
        const logout = await fetch(`${url}/api/auth/logout`, { method: 'POST', headers: { authorization: sessionId } })
        await logout.arrayBuffer()
        if (logout.status !== 200) throw new Error(`logout ${logout.status}`)
        churn.logouts++
      } catch {
        churn.failures++
      }
      await Bun.sleep(CHURN_EVERY_MS)
    }
  })()

  say(`  warm-up ${WARMUP_MS / 1000} s`)
  await traffic(Date.now() + WARMUP_MS)
  await drain()
  await control<SoakSample>('sample') // discards the warm-up's lag samples
  const start = await control<SoakSample>('sample', { gc: true })
  const censusStart = await control<SoakCensus>('census')
  say(`  after GC at the start: gateway heap ${mb(start.heapBytes)}, RSS ${mb(start.rssBytes)}`)
  minute = newMinute(1)
  phase = 'measured'
  sent201.clear() // the warm-up's sends are drained and left out on both sides
  sendsUnknown.clear()
  const soakStartMs = Date.now()

  // crashes: a few, evenly spread, each on a different bot
  const crashCount = Math.max(1, Math.min(5, Math.round(minutes * 0.3)))
  const crashAtMs = Array.from(
    { length: crashCount },
    (_, k) => soakStartMs + ((k + 1) * minutes * 60_000) / (crashCount + 1),
  )
  const crashLoop = (async () => {
    for (const [k, atMs] of crashAtMs.entries()) {
      await Bun.sleep(Math.max(0, atMs - Date.now()))
      const target = logged[(k * 17) % BOTS] as Logged
      const window: CrashWindow = { token: target.bot.token, fromMs: Date.now(), toMs: Number.POSITIVE_INFINITY }
      crashes.push(window)
      await control('crash', { token: target.bot.token })
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await Bun.sleep(100)) {
        if ((await control<{ state: string | null }>('state', { token: target.bot.token })).state === 'ready') break
      }
      window.toMs = Date.now() + CRASH_GRACE_MS
      say(
        `  crash ${k + 1}/${crashCount}: ${target.bot.name} back after ${window.toMs - CRASH_GRACE_MS - window.fromMs} ms`,
      )
    }
  })()

  const minutes_: SoakMinute[] = []
  const closeMinute = async () => {
    const sample = await control<SoakSample>('sample')
    const done = minute
    minute = newMinute(done.minute + 1)
    const row = finishMinute(done, sample, churn)
    minutes_.push(row)
    say(
      `  min ${row.minute}: heap ${mb(row.heapBytes)}, RSS ${mb(row.rssBytes)}, lag p99 ${row.lagP99Ms.toFixed(1)} ms, ` +
        `request p99 ${row.requestP99Ms.toFixed(1)} ms, ${row.requests} req, 5xx ${row.server5xx} (+${row.injected5xx} injected)`,
    )
    lagAll.push(...sample.lagSamples)
  }
  const lagAll: number[] = []
  await traffic(soakStartMs + minutes * 60_000, closeMinute)
  churning = false
  await Promise.all([churnLoop, crashLoop])
  await drain()
  if (minute.requests > 0) await closeMinute()
  // every churn bot logged out and every crashed bot is back: only the stable bots may be left
  let census = await control<SoakCensus>('census')
  for (const deadline = Date.now() + LEFTOVERS_SETTLE_MS; !nothingLeftBehind(census, BOTS) && Date.now() < deadline; ) {
    await Bun.sleep(200)
    census = await control<SoakCensus>('census')
  }
  say(
    `  left at the end: ${census.sessions} sessions, ${census.bots} bots, ` +
      `${census.workerThreads ?? '?'} worker threads (${census.idleWorkers} idle)`,
  )
  const end = await control<SoakSample>('sample', { gc: true })
  say(`  after GC at the end: gateway heap ${mb(end.heapBytes)}, RSS ${mb(end.rssBytes)}`)

  const messages = await countSoakMessages(fake.info.apiUrl, stable, runId, soakStartMs - 60_000)
  const results = judgeSoak({
    date: new Date().toISOString(),
    minutes,
    settings: { bots: BOTS, churnBots: CHURN_BOTS, ratePerSecond: RATE_PER_SECOND, crashes: crashCount },
    heapStartBytes: start.heapBytes,
    heapEndBytes: end.heapBytes,
    rssStartBytes: start.rssBytes,
    rssEndBytes: end.rssBytes,
    censusStart,
    census,
    lagAllMs: lagAll,
    rows: minutes_,
    churn,
    crashes: crashes.map((crash) => ({ recoveredMs: crash.toMs - CRASH_GRACE_MS - crash.fromMs })),
    sends: stable.map((bot) => ({
      channelId: bot.channelId,
      answered201: sent201.get(bot.channelId) ?? 0,
      answeredOther: sendsUnknown.get(bot.channelId) ?? 0,
      ...(messages.get(bot.channelId) ?? { atDiscord: 0, duplicateContents: 0 }),
    })),
  })
  await writeSoakReport(results, say)
  return results
}

function pathFor(kind: Exclude<Kind, 'send'>, bot: BenchBot): string {
  switch (kind) {
    case 'guilds':
      return '/api/guilds'
    case 'channels':
      return `/api/channels?guildId=${bot.guildId}`
    case 'members':
      return `/api/members?guildId=${bot.guildId}&limit=50`
    case 'messages':
      return `/api/messages?channelId=${bot.channelId}&limit=50`
  }
}

/** A minute while it runs: the report row's traffic counts, plus the latencies its p99 comes from. */
type MinuteBucket = Pick<
  SoakMinute,
  'minute' | 'requests' | 'ok' | 'clientErrors' | 'server5xx' | 'injected5xx' | 'skipped'
> & {
  latenciesMs: number[]
}
const newMinute = (n: number): MinuteBucket => ({
  minute: n,
  requests: 0,
  ok: 0,
  clientErrors: 0,
  server5xx: 0,
  injected5xx: 0,
  skipped: 0,
  latenciesMs: [],
})

function finishMinute(bucket: MinuteBucket, sample: SoakSample, churn: { logins: number }): SoakMinute {
  const sorted = bucket.latenciesMs.toSorted((a, b) => a - b)
  const { latenciesMs: _, ...counts } = bucket
  return {
    ...counts,
    heapBytes: sample.heapBytes,
    rssBytes: sample.rssBytes,
    lagP99Ms: sample.lagP99Ms,
    lagMaxMs: sample.lagMaxMs,
    requestP99Ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0,
    churnLoginsSoFar: churn.logins,
  }
}

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`

/**
 * Reads every channel at the fake Discord itself (REST v10, the bot's own token, paging back from the newest) and
 * counts this run's messages: what Discord holds, to hold against the 201s the service answered.
 */
async function countSoakMessages(apiUrl: string, bots: readonly BenchBot[], runId: string, sinceMs: number) {
  const counts = new Map<string, { atDiscord: number; duplicateContents: number }>()
  const marker = `soak ${runId} measured `
  for (const bot of bots) {
    const seen = new Set<string>()
    let atDiscord = 0
    let duplicateContents = 0
    let before: string | undefined
    for (;;) {
      const query = `limit=100${before ? `&before=${before}` : ''}`
      const res = await fetch(`${apiUrl}/v10/channels/${bot.channelId}/messages?${query}`, {
        headers: { authorization: `Bot ${bot.token}` },
      })
      if (res.status === 429) {
        await Bun.sleep(1_000)
        continue
      }
      if (!res.ok) throw new Error(`reading ${bot.name}'s channel at the fake: ${res.status}`)
      const page = (await res.json()) as { id: string; content: string; timestamp: string }[]
      for (const message of page) {
        if (!message.content.startsWith(marker)) continue
        atDiscord++
        if (seen.has(message.content)) duplicateContents++
        seen.add(message.content)
      }
      const last = page.at(-1)
      if (!last || Date.parse(last.timestamp) < sinceMs) break
      before = last.id
    }
    counts.set(bot.channelId, { atDiscord, duplicateContents })
  }
  return counts
}
