import type { FakeInfo } from './fake-process.ts'
import { loginAll, percentile } from './logins.ts'
import { readSseFrames } from './sse-frames.ts'
import { runPhaseAlone, writePhaseResults } from './phase-files.ts'
import type { ProcessGroup } from './procs.ts'
import type { ServiceInfo } from './service-process.ts'

/**
 * Live events under load, in fresh processes (the fake Discord, the service; readers and posters here):
 * - latency: fake users post 1 000 messages/s spread over 50 bots, 100 SSE readers (2 per bot) on GET /api/events;
 *   each messageCreate's latency is its arrival at the reader less the message's timestamp, which is the fake's
 *   send time (the snowflake's milliseconds), so it spans fake → gateway socket → worker → gateway → SSE → reader.
 *   Split at the event's `at` (the worker's receipt) to tell the fake's and discord.js's part from ours.
 * - the same rate again with one webhook per bot, POSTed to a loopback receiver here: dispatch → receiver latency,
 *   and SSE's beside it, on the same events.
 * - a worker's event rate with and without one reader that never reads (a paused TCP socket): fake users post to
 *   one bot flat out; the rate is what a reading client receives per second.
 */
/** p50 / p99 / max of a latency sample, in ms. */
export type Spread = { n: number; p50: number; p99: number; max: number }

export type EventsResults = {
  bots: number
  readers: number
  offeredPerSecond: number
  /** Messages the fake users got posted per second (the posting loop shares the box: it may fall short). */
  postedPerSecond: number
  durationS: number
  received: number
  /** Dispatch (the fake's send time) → SSE reader, SSE readers alone. */
  latencyMs: Spread
  /**
   * The same, split at the event's `at` (when the worker got the dispatch): fake → worker (the fake's WebSocket,
   * discord.js) and worker → reader (the worker's batch, postMessage, ingest, hub, the reader's queue, Bun's write).
   * Both in whole milliseconds (`at` has ms resolution).
   */
  sseSplitMs: { fakeToWorker: Spread; workerToReader: Spread }
  /** The same rate again with one webhook per bot (loopback receiver): both paths measured on the same events. */
  withWebhooks: { postedPerSecond: number; sse: Spread; webhook: Spread; webhookWorkerToReceiver: Spread }
  /** Events/s a reading client got: alone before and after the run with the stalled reader (order effects show). */
  rateAlone: [number, number]
  rateWithStalledReader: number
  stalledReaderCutOff: boolean
}

const BOTS = 50
const READERS_PER_BOT = 2
const RATE = 1_000

type Frame = { event: string; data: string }
/** The fields of a messageCreate event the bench reads. */
type TimedEvent = { at: string; data: { timestamp: string } }

/** A GET /api/events reader that hands each frame to `onFrame` as it arrives. */
async function readEvents(url: string, sessionId: string, onFrame: (frame: Frame) => void) {
  const abort = new AbortController()
  const res = await fetch(`${url}/api/events?types=messageCreate`, {
    headers: { authorization: sessionId },
    signal: abort.signal,
  })
  if (res.status !== 200 || !res.body) throw new Error(`GET /api/events answered ${res.status}`)
  void readSseFrames(res.body, ({ event, data }) => {
    if (event && data) onFrame({ event, data })
  })
  return () => abort.abort()
}

/** Posts as a fake user through the fake's control API; `inFlight` bounds the posts waiting for an answer. */
function poster(fakeUrl: string) {
  let inFlight = 0
  const post = async (channelId: string) => {
    inFlight++
    try {
      await fetch(`${fakeUrl}/_control/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channelId, content: 'bench event' }),
      }).then((res) => res.arrayBuffer())
    } finally {
      inFlight--
    }
  }
  return { post, inFlight: () => inFlight }
}

/** Latency samples of one path: arrival less the fake's send time, and less the worker's `at`. */
function timings() {
  const total: number[] = []
  const fromWorker: number[] = []
  const fromFake: number[] = []
  return {
    total,
    record(event: TimedEvent, arrived: number) {
      const sentAt = Date.parse(event.data.timestamp)
      const at = Date.parse(event.at)
      total.push(arrived - sentAt)
      fromFake.push(at - sentAt)
      fromWorker.push(arrived - at)
    },
    spread: () => spreadOf(total),
    split: () => ({ fakeToWorker: spreadOf(fromFake), workerToReader: spreadOf(fromWorker) }),
  }
}

export function spreadOf(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b)
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  }
}

const describeSpread = (s: Spread) => `p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms (${s.n})`

/** A loopback webhook receiver: answers 204 at once and hands each body to `onEvent`. */
function startReceiver(onEvent: (body: string, arrived: number) => void) {
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const body = await request.text()
      onEvent(body, Date.now())
      return new Response(null, { status: 204 })
    },
  })
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) }
}

export async function runEventsBench(group: ProcessGroup, say: (line: string) => void, quick: boolean) {
  const durationS = quick ? 1 : 10
  const fake = await group.start<FakeInfo>('fake-process.ts', [String(BOTS + 1)], { timeoutMs: 60_000 })
  // webhooks to the loopback receiver below: the address guard is for production
  const overrides = JSON.stringify({ ALLOW_PRIVATE_WEBHOOKS: '1' })
  const service = await group.start<ServiceInfo>('service-process.ts', [fake.info.apiUrl, String(BOTS + 10), overrides])
  let receiver: ReturnType<typeof startReceiver> | undefined
  try {
    const url = service.info.url
    const bots = fake.info.bots.slice(0, BOTS)
    const logins = await loginAll(
      url,
      bots.map((bot) => bot.token),
      8,
    )
    say(`  ${BOTS} bots logged in (${Math.round(logins.wallMs)} ms)`)

    // latency at a fixed offered rate: SSE readers alone, then with one webhook per bot as well
    let sse = timings()
    let hooks = timings()
    let measuring = false
    let posted = 0
    const stops: (() => void)[] = []
    for (const session of logins.sessions) {
      for (let i = 0; i < READERS_PER_BOT; i++) {
        stops.push(
          await readEvents(url, session, ({ data }) => {
            const arrived = Date.now()
            if (measuring) sse.record(JSON.parse(data) as TimedEvent, arrived)
          }),
        )
      }
    }
    const users = poster(fake.info.url)
    const TICK_MS = 10
    const perTick = (RATE * TICK_MS) / 1_000
    let next = 0
    const tick = () => {
      for (let i = 0; i < perTick; i++) {
        if (measuring) posted++
        void users.post((bots[next++ % BOTS] ?? bots[0])?.channelId as string)
      }
    }
    const measure = async () => {
      posted = 0
      const timer = setInterval(tick, TICK_MS)
      await Bun.sleep(1_000) // warm-up: JIT, sockets
      measuring = true
      await Bun.sleep(durationS * 1_000)
      measuring = false
      clearInterval(timer)
      while (users.inFlight() > 0) await Bun.sleep(10)
      // what is still on its way arrives (and is not counted) before the next phase
      await Bun.sleep(200)
      return Math.round(posted / durationS)
    }
    const postedPerSecond = await measure()
    const latencyMs = sse.spread()
    const sseSplitMs = sse.split()
    say(
      `  ${RATE}/s offered (${postedPerSecond}/s posted) over ${BOTS} bots, ${BOTS * READERS_PER_BOT} readers: dispatch → SSE reader ${describeSpread(latencyMs)}`,
    )
    say(
      `    split at the worker's receipt: fake → worker ${describeSpread(sseSplitMs.fakeToWorker)}; worker → reader ${describeSpread(sseSplitMs.workerToReader)}`,
    )

    receiver = startReceiver((body, arrived) => {
      if (measuring) hooks.record(JSON.parse(body) as TimedEvent, arrived)
    })
    for (const [i, session] of logins.sessions.entries()) {
      const res = await fetch(`${url}/api/webhooks`, {
        method: 'POST',
        headers: { authorization: session, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${receiver.url}/hook/${i}`, events: ['messageCreate'] }),
      })
      if (res.status !== 201) throw new Error(`POST /api/webhooks answered ${res.status}: ${await res.text()}`)
    }
    sse = timings()
    hooks = timings()
    const postedWithHooks = await measure()
    const withWebhooks = {
      postedPerSecond: postedWithHooks,
      sse: sse.spread(),
      webhook: hooks.spread(),
      webhookWorkerToReceiver: hooks.split().workerToReader,
    }
    say(
      `  the same with one webhook per bot (${postedWithHooks}/s posted): dispatch → webhook receiver ${describeSpread(withWebhooks.webhook)}; dispatch → SSE reader ${describeSpread(withWebhooks.sse)}`,
    )
    for (const stop of stops) stop()

    // one bot flat out, with and without a reader that never reads
    const target = fake.info.bots[BOTS]
    if (!target) throw new Error('no spare bench bot')
    const [session] = (await loginAll(url, [target.token], 1)).sessions
    const rateOf = async (stalled: boolean) => {
      let received = 0
      const stop = await readEvents(url, session as string, () => received++)
      let socket: Awaited<ReturnType<typeof Bun.connect>> | undefined
      let cutOff = false
      if (stalled) {
        const { hostname, port } = new URL(url)
        socket = await Bun.connect({
          hostname,
          port: Number(port),
          socket: {
            open(s) {
              s.write(`GET /api/events HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: ${session}\r\n\r\n`)
              s.pause()
            },
            data() {},
            close() {
              cutOff = true
            },
          },
        })
      }
      const flat = poster(fake.info.url)
      let posting = true
      const lanes = Array.from({ length: 16 }, async () => {
        while (posting) await flat.post(target.channelId)
      })
      await Bun.sleep(1_000)
      const from = received
      await Bun.sleep(durationS * 1_000)
      const rate = (received - from) / durationS
      posting = false
      await Promise.all(lanes)
      stop()
      // the overflow shows as the stream ending once the socket is read: read it, the frame is there
      socket?.resume()
      if (socket) await Bun.sleep(500)
      socket?.end()
      return { rate, cutOff }
    }
    const alone = await rateOf(false)
    const withStalled = await rateOf(true)
    const aloneAgain = await rateOf(false)
    const aloneMean = (alone.rate + aloneAgain.rate) / 2
    say(
      `  one bot flat out: ${Math.round(alone.rate)} and ${Math.round(aloneAgain.rate)} events/s alone, ${Math.round(withStalled.rate)} events/s with a reader that never reads (${((withStalled.rate / aloneMean) * 100).toFixed(1)} % of alone)`,
    )
    const results: EventsResults = {
      bots: BOTS,
      readers: BOTS * READERS_PER_BOT,
      offeredPerSecond: RATE,
      postedPerSecond,
      durationS,
      received: latencyMs.n,
      latencyMs,
      sseSplitMs,
      withWebhooks,
      rateAlone: [Math.round(alone.rate), Math.round(aloneAgain.rate)],
      rateWithStalledReader: Math.round(withStalled.rate),
      stalledReaderCutOff: withStalled.cutOff,
    }
    say(renderEventsTable(results))
    return results
  } finally {
    receiver?.stop()
    await service.stop()
    await fake.stop()
  }
}

/** The events phase as a table, with the targets (PASS/MISS from this run's numbers). */
export function renderEventsTable(r: EventsResults): string {
  const mark = (ok: boolean) => (ok ? '**PASS**' : '**MISS**')
  const row = (path: string, s: Spread, goal: string, ok: boolean | null) =>
    `| ${path} | ${s.n} | ${s.p50} | ${s.p99} | ${s.max} | ${goal} | ${ok === null ? '' : mark(ok)} |`
  const meanAlone = (r.rateAlone[0] + r.rateAlone[1]) / 2
  const stalledShare = r.rateWithStalledReader / meanAlone
  return [
    '',
    `Live events: ${r.offeredPerSecond}/s offered over ${r.bots} bots (${r.postedPerSecond}/s posted), ${r.readers} SSE readers`,
    '',
    '| path | events | p50 ms | p99 ms | max ms | goal | |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- |',
    row('dispatch → SSE reader', r.latencyMs, 'p99 ≤ 5 ms', r.latencyMs.p99 <= 5),
    row('  of which fake → worker', r.sseSplitMs.fakeToWorker, '', null),
    row('  of which worker → SSE reader', r.sseSplitMs.workerToReader, '', null),
    row(
      'dispatch → webhook receiver (with webhooks)',
      r.withWebhooks.webhook,
      'p99 ≤ 20 ms',
      r.withWebhooks.webhook.p99 <= 20,
    ),
    row('  of which worker → receiver', r.withWebhooks.webhookWorkerToReceiver, '', null),
    row('dispatch → SSE reader (with webhooks)', r.withWebhooks.sse, '', null),
    '',
    `One bot flat out: ${r.rateAlone.join(' and ')} events/s alone, ${r.rateWithStalledReader} with a reader that never reads (${(stalledShare * 100).toFixed(0)} %, goal ≥ 90 %: ${mark(stalledShare >= 0.9)}; cut off by overflow: ${r.stalledReaderCutOff ? 'yes' : 'no'})`,
  ].join('\n')
}

export function writeEventsResults(results: EventsResults, quick = false) {
  writePhaseResults('events', results, quick)
}

if (import.meta.main) await runPhaseAlone('live events', runEventsBench, writeEventsResults)
