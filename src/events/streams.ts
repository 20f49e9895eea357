import type { EventHub } from './hub.ts'
import { createFrameEncoder, openEventStream, type EventStream, type StreamEnd, type StreamFilter } from './sse.ts'

export type EventStreamHooks = {
  onOpened?: () => void
  onClosed?: (why: 'ended' | 'disconnected' | 'overflow') => void
}

export type EventStreams = {
  open(reader: {
    sessionId: string
    botKey: string
    botId: string
    filter: StreamFilter
    afterId: number | null
  }): ReadableStream<Uint8Array>
  /** Ends the streams of these sessions with `event: session_ended`. */
  endSessions(
    sessionIds: readonly string[],
    reason: Extract<StreamEnd, { event: 'session_ended' }>['data']['reason'],
  ): void
  endBot(botKey: string, reason: Extract<StreamEnd, { event: 'session_ended' }>['data']['reason']): void
  endAll(reason: Extract<StreamEnd, { event: 'session_ended' }>['data']['reason']): void
  /** Sends every open stream a keep-alive comment now (the timer does it each SSE_KEEPALIVE_MS). */
  keepAlive(): void
  count(): number
}

type Open = { stream: EventStream; sessionId: string; botKey: string }

/**
 * The open SSE streams, by session and bot, so ending a session (logout, admin removal, a revoked token, shutdown)
 * ends its streams with a last event, and one timer keeps them all alive (proxies drop idle connections).
 */
export function createEventStreams(options: {
  hub: EventHub
  maxBufferedBytes: number
  keepAliveMs: number
  hooks?: EventStreamHooks
}): EventStreams {
  const { hooks = {} } = options
  const open = new Set<Open>()
  let timer: ReturnType<typeof setInterval> | undefined
  // one encoding per event for all its readers (2 readers of a bot: half the encodes and copies)
  const encodeFrame = createFrameEncoder()

  const keepAlive = () => {
    for (const entry of [...open]) entry.stream.keepAlive()
  }
  const end = (
    which: (entry: Open) => boolean,
    reason: Extract<StreamEnd, { event: 'session_ended' }>['data']['reason'],
  ) => {
    for (const entry of [...open]) if (which(entry)) entry.stream.end({ event: 'session_ended', data: { reason } })
  }

  return {
    open({ sessionId, botKey, botId, filter, afterId }) {
      const entry: Open = {
        sessionId,
        botKey,
        stream: openEventStream({
          hub: options.hub,
          botId,
          filter,
          afterId,
          maxBufferedBytes: options.maxBufferedBytes,
          encodeFrame,
          onClosed(why) {
            open.delete(entry)
            if (open.size === 0) {
              clearInterval(timer) // no timer outlives the last stream: a stopped service holds nothing
              timer = undefined
            }
            hooks.onClosed?.(why)
          },
        }),
      }
      open.add(entry)
      timer ??= setInterval(keepAlive, options.keepAliveMs)
      hooks.onOpened?.()
      return entry.stream.body
    },
    endSessions(sessionIds, reason) {
      const ids = new Set(sessionIds)
      end((entry) => ids.has(entry.sessionId), reason)
    },
    endBot: (botKey, reason) => end((entry) => entry.botKey === botKey, reason),
    endAll: (reason) => end(() => true, reason),
    keepAlive,
    count: () => open.size,
  }
}
