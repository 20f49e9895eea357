import type { EventHub } from './hub.ts'
import type { EventType, PublishedEvent } from './types.ts'

export type StreamFilter = { types: ReadonlySet<EventType> | null; guildId: string | null; channelId: string | null }

/** Why a stream was ended by the service (the last frame names it). */
/** Why a session's streams end: logout, an admin removing the bot or revoking the session, idle expiry, Discord revoking the token, shutdown. */
export type SessionEndReason = 'logged_out' | 'bot_removed' | 'revoked' | 'expired' | 'token_revoked' | 'shutdown'

export type StreamEnd =
  | { event: 'overflow'; data: { reason: string; maxBufferedBytes: number } }
  | { event: 'session_ended'; data: { reason: SessionEndReason } }

export type EventStream = {
  body: ReadableStream<Uint8Array>
  keepAlive(): void
  /** Sends the last frame after what is queued, then closes. */
  end(final: StreamEnd): void
}

/** An event's SSE frame as UTF-8 bytes, the same for every reader of its bot. */
export type FrameEncoder = (published: PublishedEvent) => Uint8Array

const utf8 = new TextEncoder()

/**
 * Encodes each event's frame once, however many readers it goes to: their streams send the very bytes (Bun would
 * otherwise encode a string chunk per reader and per write). Entries go with their event (a WeakMap).
 */
export function createFrameEncoder(): FrameEncoder {
  const frames = new WeakMap<PublishedEvent, Uint8Array>()
  return (published) => {
    let frame = frames.get(published)
    if (!frame) {
      frame = utf8.encode(`id: ${published.event.id}\nevent: ${published.event.type}\ndata: ${published.json}\n\n`)
      frames.set(published, frame)
    }
    return frame
  }
}

const namedFrame = (event: string, data: unknown) => utf8.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
const CONNECTED = utf8.encode(': connected\n\n')
const KEEP_ALIVE = utf8.encode(': keep-alive\n\n')

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
  /** Shared by the streams of a service, so an event is encoded once for all its readers. */
  encodeFrame?: FrameEncoder
  /** Once, however the stream ends: by the service, the client going away, or an overflow. */
  onClosed: (why: 'ended' | 'disconnected' | 'overflow') => void
}): EventStream {
  const { hub, botId, filter, maxBufferedBytes } = options
  const encodeFrame = options.encodeFrame ?? createFrameEncoder()
  let queue: Uint8Array[] = []
  let queuedBytes = 0
  // a replay may be larger than the live allowance: it is the client's to read, once, on top of it
  let limitBytes = maxBufferedBytes
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined
  let waiting: (() => void) | null = null // a pull is waiting for something to send
  let closed = false
  let unsubscribe = () => {}

  const joined = () => (queue.length === 1 ? (queue[0] as Uint8Array) : Buffer.concat(queue, queuedBytes))
  const offer = (chunk: Uint8Array): boolean => {
    try {
      controller?.enqueue(chunk)
      return true
    } catch {
      return false // the stream was closed or errored under us (the client went away)
    }
  }
  const deliver = () => {
    if (closed || !waiting || queue.length === 0 || !controller) return
    // a stream Bun already closed must end here, never throw into the hub's other listeners
    if (!offer(joined())) return close('disconnected', null)
    queue = []
    queuedBytes = 0
    limitBytes = maxBufferedBytes
    const wake = waiting
    waiting = null
    wake()
  }
  const close = (why: 'ended' | 'disconnected' | 'overflow', lastFrame: Uint8Array | null) => {
    if (closed) return
    closed = true
    unsubscribe()
    if (lastFrame !== null && controller) {
      // past the pull protocol: a bounded last write, which Bun sends once the client reads again
      queue.push(lastFrame)
      queuedBytes += lastFrame.length
      if (offer(joined())) controller.close()
    }
    queue = []
    queuedBytes = 0
    waiting?.()
    waiting = null
    options.onClosed(why)
  }
  const write = (chunk: Uint8Array) => {
    if (closed) return
    queue.push(chunk)
    queuedBytes += chunk.length
    if (queuedBytes > limitBytes) {
      queue = [] // what it missed is in the bot's buffer: it may reconnect with its Last-Event-ID
      queuedBytes = 0
      const data = { reason: 'the reader fell too far behind', maxBufferedBytes }
      return close('overflow', namedFrame('overflow', data))
    }
    // At once when Bun waits for a chunk; what comes while Bun writes it waits here and goes out as one chunk at
    // its next pull. Deferring the first write to the end of the tick (to send a worker's whole batch as one
    // chunk) was measured: no CPU saved, and ~0.1 ms later at p50 beside this (bench/events-profile.ts, README).
    deliver()
  }

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
        write(CONNECTED) // headers and a first byte at once: the client knows it is subscribed
        // since() and subscribe() in one tick: no event can fall between the replay and the live ones
        if (options.afterId !== null) {
          const replay = hub.since(botId, options.afterId)
          if (replay.gapFrom !== null) {
            write(namedFrame('gap', { lastEventId: options.afterId, firstAvailableId: replay.gapFrom }))
          }
          limitBytes = Number.POSITIVE_INFINITY
          for (const published of replay.events) if (matches(filter, published)) write(encodeFrame(published))
          limitBytes = maxBufferedBytes + queuedBytes
        }
        if (!closed) {
          unsubscribe = hub.subscribe(botId, (published) => {
            if (matches(filter, published)) write(encodeFrame(published))
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
    keepAlive: () => write(KEEP_ALIVE),
    end: (final) => close(final.event === 'overflow' ? 'overflow' : 'ended', namedFrame(final.event, final.data)),
  }
}
