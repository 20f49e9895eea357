import type { BotEvent, EventFeed, PublishedEvent } from './types.ts'

/** An event as its source tells it: the hub gives it its id and its bytes. */
export type NewEvent = Omit<BotEvent, 'id'>

export interface EventHub extends EventFeed {
  /** Numbers the event (next id of its bot), serializes it once and hands it to the bot's listeners in order. */
  publish(event: NewEvent): PublishedEvent
  /** The last id given to the bot's events (0: none yet). */
  lastId(botId: string): number
}

/**
 * The gateway's one place where events get their ids and meet their readers. Listeners are called synchronously
 * and must not throw or block: a slow reader queues on its own side (SSE buffer, webhook queue), never here.
 */
export function createEventHub(): EventHub {
  const listeners = new Map<string, Set<(published: PublishedEvent) => void>>()
  const lastIds = new Map<string, number>()
  return {
    publish(event) {
      const id = (lastIds.get(event.botId) ?? 0) + 1
      lastIds.set(event.botId, id)
      const numbered: BotEvent = { id, ...event }
      const published = { event: numbered, json: JSON.stringify(numbered) }
      for (const listener of listeners.get(event.botId) ?? []) listener(published)
      return published
    },
    lastId: (botId) => lastIds.get(botId) ?? 0,
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
