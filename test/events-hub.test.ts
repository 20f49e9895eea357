import { describe, expect, test } from 'bun:test'
import { createEventHub, type NewEvent } from '../src/events/hub.ts'

const event = (botId: string, n: number): NewEvent => ({
  type: 'messageCreate',
  botId,
  at: new Date(0).toISOString(),
  data: { n },
})
const ids = (events: { event: { id: number } }[]) => events.map((published) => published.event.id)

describe('the event hub', () => {
  test("numbers each bot's events from 1, apart from other bots, and keeps the last bufferSize of them", () => {
    const hub = createEventHub({ bufferSize: 4 })
    for (let n = 0; n < 10; n++) hub.publish(event('a', n))
    hub.publish(event('b', 0))
    expect(hub.lastId('a')).toBe(10)
    expect(hub.lastId('b')).toBe(1)
    expect(hub.since('a', 8)).toEqual({ gapFrom: null, events: expect.any(Array) })
    expect(ids(hub.since('a', 8).events)).toEqual([9, 10])
    expect(ids(hub.since('a', 6).events)).toEqual([7, 8, 9, 10])
    expect(hub.since('a', 10)).toEqual({ gapFrom: null, events: [] })
    expect(ids(hub.since('b', 0).events)).toEqual([1])
  })

  test('a Last-Event-ID older than the buffer, or ahead of every id given, is a gap from the first id held', () => {
    const hub = createEventHub({ bufferSize: 4 })
    for (let n = 0; n < 10; n++) hub.publish(event('a', n))
    const old = hub.since('a', 2)
    expect(old.gapFrom).toBe(7)
    expect(ids(old.events)).toEqual([7, 8, 9, 10])
    expect(hub.since('a', 5).gapFrom).toBe(7) // 6 is gone
    expect(hub.since('a', 6).gapFrom).toBe(null) // 7 is the next wanted, and held
    const ahead = hub.since('a', 99) // numbered by an earlier run of the service
    expect(ahead.gapFrom).toBe(7)
    expect(ids(ahead.events)).toEqual([7, 8, 9, 10])
  })

  test('forget drops the buffer but not the numbering: a reader coming back is told the gap', () => {
    const hub = createEventHub({ bufferSize: 4 })
    for (let n = 0; n < 3; n++) hub.publish(event('a', n))
    hub.forget('a')
    expect(hub.since('a', 1)).toEqual({ gapFrom: 4, events: [] })
    expect(hub.publish(event('a', 3)).event.id).toBe(4)
    expect(hub.since('a', 1).gapFrom).toBe(4)
  })

  test('listeners hear their own bot only, in order, and unsubscribing leaves none', () => {
    const hub = createEventHub()
    const heard: number[] = []
    const off = hub.subscribe('a', (published) => heard.push(published.event.id))
    hub.publish(event('a', 0))
    hub.publish(event('b', 0))
    hub.publish(event('a', 1))
    expect(heard).toEqual([1, 2])
    expect(hub.listenerCount('a')).toBe(1)
    off()
    expect(hub.listenerCount('a')).toBe(0)
  })
})
