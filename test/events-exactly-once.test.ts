import { afterAll, beforeAll, expect, test } from 'bun:test'
import { openSse } from './support/sse.ts'
import { readMetric } from './support/metrics.ts'
import { crashAndWait, startStack, type Stack } from './support/stack.ts'

const CRASHES = 4

let stack: Stack
beforeAll(async () => {
  stack = await startStack({
    WORKER_TEST_HOOKS: '1',
    RESTART_BACKOFF_BASE_MS: '20',
    RESTART_BACKOFF_MAX_MS: '50',
    METRICS_PUBLIC: '1',
  })
})
afterAll(() => stack.stop())

const metric = (series: string) => readMetric(stack, series)

test('a fake user posting while the worker is killed again and again: the stream holds each message exactly once, in order, and every restart RESUMEd', async () => {
  const token = stack.discord.tokens.solo
  const { sessionId } = await stack.login(token)
  const reader = await openSse(stack.url, '/api/events?types=messageCreate,restarting,resumed,ready', sessionId)
  const before = stack.discord.counters()

  // the fake user posts continuously, one message per turn of the event loop, until told to stop
  const posted: string[] = []
  let posting = true
  const poster = (async () => {
    while (posting) {
      const content = `m-${posted.length}`
      stack.discord.control.postMessage({ channelId: stack.discord.world.ids.soloGeneralChannel, content })
      posted.push(content)
      await Bun.sleep(2)
    }
  })()

  for (let crash = 1; crash <= CRASHES; crash++) {
    // messages flowing before each crash: some forwarded and not yet in the session the gateway knows
    const seen = reader.of('messageCreate').length
    await reader.until((r) => r.of('messageCreate').length >= seen + 20)
    await crashAndWait(stack, token)
  }
  const afterLastCrash = posted.length
  await reader.until((r) => r.of('messageCreate').length >= afterLastCrash)
  posting = false
  await poster
  // one more message through the whole path: nothing after the last counted is still on its way
  const last = stack.discord.control.postMessage({
    channelId: stack.discord.world.ids.soloGeneralChannel,
    content: 'end',
  })
  posted.push('end')
  await reader.until((r) => r.of('messageCreate').some((f) => f.data.data.id === last.id))

  const received = reader.of('messageCreate').map((frame) => frame.data.data.content as string)
  expect(received.length).toBe(posted.length)
  expect(received).toEqual(posted)
  const ids = reader.frames.map((frame) => Number(frame.id))
  expect(ids).toEqual([...ids].sort((a, b) => a - b))

  const after = stack.discord.counters()
  expect((after.resumes.solo ?? 0) - (before.resumes.solo ?? 0)).toBe(CRASHES)
  expect(after.identifies.solo).toBe(before.identifies.solo)
  // each crash told as restarting, then resumed (the same Discord session: nothing missed)
  expect(reader.of('restarting').length).toBe(CRASHES)
  expect(reader.of('resumed').length).toBe(CRASHES)
  expect(reader.of('ready').length).toBe(0)
  const dropped = await metric('botvisor_events_replays_dropped_total')
  console.log(
    `exactly-once: ${posted.length} messages, ${CRASHES} crashes, ${after.resumes.solo} RESUMEs, ${dropped} replayed dispatches dropped`,
  )
  reader.close()
}, 120_000)
