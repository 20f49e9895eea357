import { describe, expect, test } from 'bun:test'
import type { APIMessage } from 'discord-api-types/v10'
import { createBotCache } from '../src/pool/bot-cache.ts'
import { createMessageCache } from '../workers/message-cache.ts'

const CHANNEL = '200000000000000000'
const message = (id: number, content = `m${id}`, channelId = CHANNEL) =>
  ({
    id: String(300000000000000000n + BigInt(id)),
    channel_id: channelId,
    author: { id: '1', username: 'u', global_name: null, avatar: null, discriminator: '0' },
    content,
    timestamp: '2024-01-01T00:00:00.000Z',
    edited_timestamp: null,
    attachments: [],
    embeds: [],
  }) as unknown as APIMessage
const newestFirst = (from: number, count: number) => Array.from({ length: count }, (_, i) => message(from - i))
const ids = (body: string) =>
  (JSON.parse(body) as { id: string }[]).map((m) => Number(BigInt(m.id) - 300000000000000000n))

describe('worker message cache', () => {
  test('answers the newest messages it was filled with, and only what Discord would answer', () => {
    const cache = createMessageCache()
    cache.fill(CHANNEL, 'g', newestFirst(100, 50), false)
    expect(ids(cache.read(CHANNEL, 10)!.body)).toEqual([100, 99, 98, 97, 96, 95, 94, 93, 92, 91])
    expect(cache.read(CHANNEL, 50)!.nextCursor).toBe(message(51).id)
    // 60 needs messages it never saw
    expect(cache.read(CHANNEL, 60)).toBeUndefined()
    expect(cache.read('999', 10)).toBeUndefined()
  })

  test('a channel Discord had fewer messages in is complete: any limit is answered, with no next page', () => {
    const cache = createMessageCache()
    cache.fill(CHANNEL, 'g', newestFirst(5, 5), true)
    const page = cache.read(CHANNEL, 100)!
    expect(ids(page.body)).toEqual([5, 4, 3, 2, 1])
    expect(page.nextCursor).toBeNull()
  })

  test('gateway events keep it true: create, update, delete, bulk delete', () => {
    const cache = createMessageCache()
    cache.fill(CHANNEL, 'g', newestFirst(10, 10), false)
    cache.created(message(11))
    cache.updated(message(9, 'edited'))
    cache.deleted(CHANNEL, [message(8).id])
    cache.deleted(CHANNEL, [message(7).id, message(6).id])
    const body = cache.read(CHANNEL, 6)!.body
    expect(ids(body)).toEqual([11, 10, 9, 5, 4, 3])
    expect((JSON.parse(body) as { content: string }[])[2]!.content).toBe('edited')
    // events of channels it does not hold are ignored
    cache.created(message(12, 'x', '777'))
    expect(cache.read('777', 1)).toBeUndefined()
  })

  test('access changes and new sessions forget what may no longer be readable', () => {
    const cache = createMessageCache()
    cache.fill(CHANNEL, 'g', newestFirst(3, 3), false)
    cache.fill('201', 'g', newestFirst(3, 3), false)
    cache.fill('202', 'other', newestFirst(3, 3), false)
    cache.dropChannel('201')
    expect(cache.read('201', 1)).toBeUndefined()
    cache.dropGuild('g')
    expect(cache.read(CHANNEL, 1)).toBeUndefined()
    expect(cache.read('202', 1)).toBeDefined()
    cache.clear()
    expect(cache.size()).toBe(0)
  })

  test('entries expire, and the least recently read channel goes first when full', () => {
    let now = 0
    const cache = createMessageCache(undefined, () => now)
    cache.fill(CHANNEL, 'g', newestFirst(3, 3), false)
    now = 61_000
    expect(cache.read(CHANNEL, 1)).toBeUndefined()
    for (let channel = 0; channel < 65; channel++) cache.fill(String(channel), 'g', newestFirst(3, 3), false)
    expect(cache.size()).toBe(64)
    expect(cache.read('0', 1)).toBeUndefined()
    expect(cache.read('64', 1)).toBeDefined()
  })

  test('holds one body per channel whatever the limits read: limits 1–100 on 4 channels stay well under a megabyte', () => {
    const long = (id: number) => message(id, `${'x'.repeat(300)} ${id}`)
    const cache = createMessageCache()
    const channels = ['201', '202', '203', '204']
    const heapAfterGc = () => {
      Bun.gc(true)
      return process.memoryUsage().heapUsed
    }
    for (const channel of channels) {
      cache.fill(
        channel,
        'g',
        Array.from({ length: 100 }, (_, i) => ({ ...long(100 - i), channel_id: channel })),
        false,
      )
    }
    cache.read('201', 100) // one body built and kept per channel is the floor
    const before = heapAfterGc()
    for (const channel of channels) {
      for (let limit = 1; limit <= 100; limit++) {
        const page = cache.read(channel, limit)!
        // each cut is exactly what serializing the newest `limit` would give
        expect(ids(page.body)).toEqual(Array.from({ length: limit }, (_, i) => 100 - i))
        expect(page.nextCursor).toBe(limit < 100 ? long(100 - limit + 1).id : long(1).id)
      }
    }
    // a body per limit was ~2.3 MB per channel here (Σ of 100 growing pages of ~400-byte messages)
    expect(heapAfterGc() - before).toBeLessThan(1_000_000)
    expect(cache.size()).toBe(4)
  })
})

describe("the gateway's copy of the newest messages", () => {
  test('one page from the worker answers every limit: each cut as Discord would page it', () => {
    const worker = createMessageCache()
    worker.fill(CHANNEL, 'g', newestFirst(100, 50), false)
    const gateway = createBotCache()
    gateway.keepMessages(CHANNEL, worker.read(CHANNEL, 100) ?? worker.read(CHANNEL, 50)!)
    for (let limit = 1; limit <= 50; limit++) {
      const kept = gateway.messages(CHANNEL, limit)
      const fresh = worker.read(CHANNEL, limit)!
      expect(kept?.body).toBe(fresh.body)
      expect(kept?.nextCursor).toBe(fresh.nextCursor)
    }
    // past what the worker held, with older messages at Discord: the gateway cannot tell, so it asks
    expect(gateway.messages(CHANNEL, 51)).toBeNull()
    // the worker's push that the channel changed drops it
    gateway.apply({ botvisor: 'messages', channelId: CHANNEL })
    expect(gateway.messages(CHANNEL, 10)).toBeNull()
  })
})
