import { loadConfig } from '../src/config.ts'
import type { PublishedEvent } from '../src/events/types.ts'
import { createLogger } from '../src/log.ts'
import { startService } from '../src/service.ts'
import { announce, exitWithParent, serveControl } from './child.ts'
import { spreadOf, type Spread } from './events.ts'
import type { FakeInfo } from './fake-process.ts'
import { loginAll } from './logins.ts'
import { createProcessGroup } from './procs.ts'

/**
 * `bun bench/events-profile.ts [seconds]`: where an event's time goes between the fake's send and an SSE reader,
 * at the events bench's load (1 000 messages/s over 50 bots, 2 readers per bot). The service runs in this process
 * so that its hub can be stamped; the fake Discord and the readers each run in a process of their own, as in
 * `bench/events.ts`. Per messageCreate:
 *   sent     the fake's send time (the message's timestamp, ms)
 *   at       the worker's receipt of the dispatch (the event's `at`, ms)
 *   publish  the gateway's hub.publish() of it (high resolution wall clock)
 *   arrival  its frame read by a reader (high resolution wall clock, the readers' process)
 * and the time spent inside publish (numbering, serializing, every listener: the SSE queues), and the gateway
 * thread's event loop lag meanwhile. `bun bench/events-profile.ts --readers <url> <sessions>` is the readers' side.
 */

const BOTS = 50
const READERS_PER_BOT = 2
const RATE = 1_000
const wallNow = () => performance.timeOrigin + performance.now()

if (process.argv[2] === '--readers') await runReaders(process.argv[3] ?? '', JSON.parse(process.argv[4] ?? '[]'))
else if (import.meta.main) await runProfile(Number(process.argv[2] ?? 10))

/**
 * The readers' process, which posts as the fake users too (as bench/events.ts does, away from the gateway's
 * thread): arrival times by message id, kept until the parent asks for them.
 */
async function runReaders(url: string, sessions: string[]) {
  const arrivals: [string, number][] = []
  for (const session of sessions) {
    for (let i = 0; i < READERS_PER_BOT; i++) {
      const res = await fetch(`${url}/api/events?types=messageCreate`, { headers: { authorization: session } })
      const body = (res.body as ReadableStream<Uint8Array>).getReader()
      void (async () => {
        const decoder = new TextDecoder()
        let text = ''
        for (let chunk = await body.read(); !chunk.done; chunk = await body.read()) {
          const arrived = wallNow()
          text += decoder.decode(chunk.value, { stream: true })
          for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
            const block = text.slice(0, end)
            text = text.slice(end + 2)
            const id = /"data":\{[\s\S]*?"id":"(\d+)"/.exec(block)?.[1]
            if (id) arrivals.push([id, arrived])
          }
        }
      })()
    }
  }
  let postTimer: ReturnType<typeof setInterval> | undefined
  const control = serveControl({
    take: () => arrivals.splice(0),
    post(body) {
      const { fakeUrl, channelIds } = body as { fakeUrl: string; channelIds: string[] }
      let next = 0
      postTimer = setInterval(() => {
        for (let i = 0; i < RATE / 100; i++) {
          void fetch(`${fakeUrl}/_control/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ channelId: channelIds[next++ % channelIds.length], content: 'profile event' }),
          }).then((res) => res.arrayBuffer())
        }
      }, 10)
      return {}
    },
    stop: () => ({ stopped: clearInterval(postTimer) }),
  })
  exitWithParent()
  announce({ controlUrl: control })
}

async function runProfile(durationS: number) {
  const group = createProcessGroup()
  const say = (line: string) => process.stderr.write(`${line}\n`)
  try {
    const fake = await group.start<FakeInfo>('fake-process.ts', [String(BOTS)], { timeoutMs: 60_000 })
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DISCORD_API_URL: fake.info.apiUrl,
      LOG_LEVEL: 'silent',
      MAX_BOTS: String(BOTS + 10),
      LOGIN_BURST: '1000000',
      LOGIN_PER_MINUTE: '1000000',
    })
    const service = startService(config, createLogger('silent'))
    try {
      const bots = fake.info.bots.slice(0, BOTS)
      const { sessions } = await loginAll(
        service.url,
        bots.map((bot) => bot.token),
        8,
      )
      // stamp every publish: the ingest calls the hub's publish() through the object, so wrapping it here sees all
      const stamps = new Map<string, { sent: number; at: number; publish: number }>()
      const publishCostUs: number[] = []
      let measuring = false
      const publish = service.events.publish.bind(service.events)
      service.events.publish = (event) => {
        const began = wallNow()
        const published: PublishedEvent = publish(event)
        const ended = wallNow()
        if (measuring && event.type === 'messageCreate') {
          const data = event.data as { id: string; timestamp: string }
          stamps.set(data.id, { sent: Date.parse(data.timestamp), at: Date.parse(event.at), publish: began })
          publishCostUs.push(Math.round((ended - began) * 1000))
        }
        return published
      }
      const readers = await group.start<{ controlUrl: string }>('events-profile.ts', [
        '--readers',
        service.url,
        JSON.stringify(sessions),
      ])
      // the gateway thread's lag: how late a 1 ms timer fires
      const lags: number[] = []
      let expected = performance.now() + 1
      const lagTimer = setInterval(() => {
        const now = performance.now()
        if (measuring) lags.push(Math.max(0, now - expected))
        expected = now + 1
      }, 1)
      const control = (route: string, body: unknown = {}) =>
        fetch(`${readers.info.controlUrl}/${route}`, { method: 'POST', body: JSON.stringify(body) }).then((res) =>
          res.json(),
        )
      await control('post', { fakeUrl: fake.info.url, channelIds: bots.map((bot) => bot.channelId) })
      await Bun.sleep(1_000)
      measuring = true
      await Bun.sleep(durationS * 1_000)
      measuring = false
      await control('stop')
      await Bun.sleep(500)
      clearInterval(lagTimer)
      const arrivals = (await control('take')) as [string, number][]

      const segments = {
        fakeToWorker: [] as number[],
        workerToPublish: [] as number[],
        publishToReader: [] as number[],
      }
      const total: number[] = []
      for (const [id, arrived] of arrivals) {
        const stamp = stamps.get(id)
        if (!stamp) continue
        segments.fakeToWorker.push(stamp.at - stamp.sent)
        segments.workerToPublish.push(stamp.publish - stamp.at)
        segments.publishToReader.push(arrived - stamp.publish)
        total.push(arrived - stamp.sent)
      }
      const round = (s: Spread): Spread => ({
        n: s.n,
        p50: Math.round(s.p50 * 100) / 100,
        p99: Math.round(s.p99 * 100) / 100,
        max: Math.round(s.max * 100) / 100,
      })
      const results = {
        postedPerSecond: Math.round(stamps.size / durationS),
        totalMs: round(spreadOf(total)),
        fakeToWorkerMs: round(spreadOf(segments.fakeToWorker)),
        workerToPublishMs: round(spreadOf(segments.workerToPublish)),
        publishToReaderMs: round(spreadOf(segments.publishToReader)),
        publishCostUs: spreadOf(publishCostUs),
        gatewayLoopLagMs: round(spreadOf(lags)),
      }
      say(
        [
          `profile: ${results.postedPerSecond}/s posted over ${BOTS} bots, ${BOTS * READERS_PER_BOT} readers, ${durationS} s`,
          '| segment | n | p50 | p99 | max |',
          '| --- | ---: | ---: | ---: | ---: |',
          ...(
            [
              ['sent → reader (ms)', results.totalMs],
              ['sent → worker receipt (ms, whole ms)', results.fakeToWorkerMs],
              ['worker receipt → gateway publish (ms, `at` in whole ms)', results.workerToPublishMs],
              ['gateway publish → reader (ms)', results.publishToReaderMs],
              ['inside publish: hub + SSE queues (µs)', results.publishCostUs],
              ['gateway event loop lag (ms)', results.gatewayLoopLagMs],
            ] as const
          ).map(([name, s]) => `| ${name} | ${s.n} | ${s.p50} | ${s.p99} | ${s.max} |`),
        ].join('\n'),
      )
      console.log(JSON.stringify(results))
    } finally {
      await service.stop(1_000, 0)
    }
  } finally {
    await group.stopAll()
  }
}
