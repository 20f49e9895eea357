import { createEventRing, type EventRing, type Replay } from './ring.ts'
import type { BotEvent, EventFeed, PublishedEvent } from './types.ts'

/** An event as its source tells it: the hub gives it its id and its bytes. */
export type NewEvent = Omit<BotEvent, 'id'>

export interface EventHub extends EventFeed {
  /** Numbers the event (next id of its bot), serializes it once and hands it to the bot's listeners in order. */
  publish(event: NewEvent): PublishedEvent
  /** The last id given to the bot's events (0: none yet). */
  lastId(botId: string): number
  /**
   * The bot's ids continue after `lastId` (an earlier run's, from the store): a reader coming back with an id up
   * to it is not told of a gap that is only ids skipped between runs.
   */
  continueAfter(botId: string, lastId: number): void
  /** The bot's buffered events after `afterId`, and whether some in between are no longer held. */
  since(botId: string, afterId: number): Replay
  /**
   * The bot stopped for good (its sessions ended): its buffered events go, its last id stays, so ids never repeat
   * and a reader coming back with an old Last-Event-ID is told the gap.
   */
  forget(botId: string): void
  /** Listeners the bot has now (SSE streams, webhook dispatchers): a reader gone must leave none behind. */
  listenerCount(botId: string): number
}

/** Default of EVENT_BUFFER_SIZE. */
export const DEFAULT_EVENT_BUFFER_SIZE = 10_000

/**
 * The gateway's one place where events get their ids and meet their readers. Listeners are called synchronously
 * and must not throw or block: a slow reader queues on its own side (SSE buffer, webhook queue), never here.
 * Each bot's last `bufferSize` events are kept for readers that reconnect (Last-Event-ID).
 */
export function createEventHub(
  options: {
    bufferSize?: number
    /**
     * The bot's next id, from ids reserved in the store (src/store/event-id-blocks.ts) so they continue across
     * restarts; synchronous, no I/O. Undefined (not reserved yet, or no store): the last id + 1.
     */
    reservedId?: (botId: string) => number | undefined
  } = {},
): EventHub {
  const bufferSize = options.bufferSize ?? DEFAULT_EVENT_BUFFER_SIZE
  const listeners = new Map<string, Set<(published: PublishedEvent) => void>>()
  const lastIds = new Map<string, number>()
  const rings = new Map<string, EventRing>()
  const ringOf = (botId: string) => {
    let ring = rings.get(botId)
    if (!ring) {
      ring = createEventRing(bufferSize, () => (lastIds.get(botId) ?? 0) + 1)
      rings.set(botId, ring)
    }
    return ring
  }
  return {
    publish(event) {
      const last = lastIds.get(event.botId) ?? 0
      // never below the last id given in this process, whatever the store says
      const id = Math.max(last + 1, options.reservedId?.(event.botId) ?? 0)
      lastIds.set(event.botId, id)
      const numbered: BotEvent = { id, ...event }
      const published = { event: numbered, json: JSON.stringify(numbered) }
      ringOf(event.botId).add(published)
      for (const listener of listeners.get(event.botId) ?? []) listener(published)
      return published
    },
    lastId: (botId) => lastIds.get(botId) ?? 0,
    continueAfter(botId, lastId) {
      if (lastId > (lastIds.get(botId) ?? 0)) lastIds.set(botId, lastId)
    },
    since: (botId, afterId) => ringOf(botId).since(afterId),
    forget: (botId) => void rings.delete(botId),
    listenerCount: (botId) => listeners.get(botId)?.size ?? 0,
    subscribe(botId, listener) {
      const forBot = listeners.get(botId) ?? new Set()
      forBot.add(listener)
      listeners.set(botId, forBot)
      return () => {
        forBot.delete(listener)
        if (forBot.size === 0 && listeners.get(botId) === forBot) listeners.delete(botId)
      }
    },
  }
}
