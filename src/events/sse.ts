import type { EventHub } from './hub.ts'
import type { EventType, PublishedEvent } from './types.ts'

export type StreamFilter = { types: ReadonlySet<EventType> | null; guildId: string | null; channelId: string | null }

/** Why a stream was ended by the service (the last frame names it). */
export type StreamEnd =
  | { event: 'overflow'; data: { reason: string; maxBufferedBytes: number } }
  | { event: 'session_ended'; data: { reason: 'logged_out' | 'bot_removed' | 'token_revoked' | 'shutdown' } }

export type EventStream = {
  body: ReadableStream<string>
  keepAlive(): void
  /** Sends the last frame after what is queued, then closes. */
  end(final: StreamEnd): void
}

const frameOf = (published: PublishedEvent) =>
  `id: ${published.event.id}\nevent: ${published.event.type}\ndata: ${published.json}\n\n`
const namedFrame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

export const matches = (filter: StreamFilter, { event }: PublishedEvent) =>
  (filter.types === null || filter.types.has(event.type)) &&
  (filter.guildId === null || event.guildId === filter.guildId) &&
  (filter.channelId === null || event.channelId === filter.channelId)

/**
 * One reader's Server-Sent Events stream of one bot. The hub's listener only appends to this reader's own queue;
 * the queue goes to the socket when Bun pulls, which it does only as fast as the client reads (docs/facts.md: a client
 * that stops reading stops the pulls once ~4 MB sit in the kernel's buffers). A queue past `maxBufferedBytes` ends
 * the stream with `event: overflow`: the reader is cut off, nobody else waits for it.
 */
export function openEventStream(options: {
  hub: EventHub
  botId: string
  filter: StreamFilter
  /** Last-Event-ID: replay what came after it from the bot's buffer; null: only new events. */
  afterId: number | null
  maxBufferedBytes: number
  /** Once, however the stream ends: by the service, the client going away, or an overflow. */
  onClosed: (why: 'ended' | 'disconnected' | 'overflow') => void
}): EventStream {
  const { hub, botId, filter, maxBufferedBytes } = options
  let queue: string[] = []
  let queuedBytes = 0
  // a replay may be larger than the live allowance: it is the client's to read, once, on top of it
  let limitBytes = maxBufferedBytes
  let controller: ReadableStreamDefaultController<string> | undefined
  let waiting: (() => void) | null = null // a pull is waiting for something to send
  let closed = false
  let unsubscribe = () => {}

  const offer = (text: string): boolean => {
    try {
      controller?.enqueue(text)
      return true
    } catch {
      return false // the stream was closed or errored under us (the client went away)
    }
  }
  const deliver = () => {
    if (!waiting || queue.length === 0 || !controller) return
    // this runs inside the hub's publish: a stream Bun already closed must end here, never throw into other readers
    if (!offer(queue.length === 1 ? (queue[0] as string) : queue.join(''))) return close('disconnected', null)
    queue = []
    queuedBytes = 0
    limitBytes = maxBufferedBytes
    const wake = waiting
    waiting = null
    wake()
  }
  const close = (why: 'ended' | 'disconnected' | 'overflow', lastFrame: string | null) => {
    if (closed) return
    closed = true
    unsubscribe()
    if (lastFrame !== null && controller) {
      // past the pull protocol: a bounded last write, which Bun sends once the client reads again
      if (offer(queue.join('') + lastFrame)) controller.close()
    }
    queue = []
    queuedBytes = 0
    waiting?.()
    waiting = null
    options.onClosed(why)
  }
  const write = (text: string) => {
    if (closed) return
    queue.push(text)
    queuedBytes += Buffer.byteLength(text)
    if (queuedBytes > limitBytes) {
      queue = [] // what it missed is in the bot's buffer: it may reconnect with its Last-Event-ID
      const data = { reason: 'the reader fell too far behind', maxBufferedBytes }
      return close('overflow', namedFrame('overflow', data))
    }
    deliver()
  }

  const body = new ReadableStream<string>(
    {
      start(c) {
        controller = c
        write(': connected\n\n') // headers and a first byte at once: the client knows it is subscribed
        // since() and subscribe() in one tick: no event can fall between the replay and the live ones
        if (options.afterId !== null) {
          const replay = hub.since(botId, options.afterId)
          if (replay.gapFrom !== null) {
            write(namedFrame('gap', { lastEventId: options.afterId, firstAvailableId: replay.gapFrom }))
          }
          limitBytes = Number.POSITIVE_INFINITY
          for (const published of replay.events) if (matches(filter, published)) write(frameOf(published))
          limitBytes = maxBufferedBytes + queuedBytes
        }
        if (!closed) {
          unsubscribe = hub.subscribe(botId, (published) => {
            if (matches(filter, published)) write(frameOf(published))
          })
        }
      },
      pull() {
        if (closed) return
        return new Promise<void>((resolve) => {
          waiting = resolve
          deliver()
        })
      },
      cancel() {
        close('disconnected', null)
      },
    },
    // nothing is pulled ahead into the stream's own queue: what waits, waits in ours, where it is counted
    { highWaterMark: 0 },
  )

  return {
    body,
    keepAlive: () => write(': keep-alive\n\n'),
    end: (final) => close(final.event === 'overflow' ? 'overflow' : 'ended', namedFrame(final.event, final.data)),
  }
}
