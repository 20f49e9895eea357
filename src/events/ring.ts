import type { PublishedEvent } from './types.ts'

/** What a reader that saw every event up to `afterId` missed, from what the buffer still holds. */
export type Replay = {
  /** Set when events after `afterId` were dropped from the buffer: the first id still held (or the next to come). */
  gapFrom: number | null
  events: PublishedEvent[]
}

export type EventRing = {
  add(published: PublishedEvent): void
  since(afterId: number): Replay
}

/** A bot's last `capacity` events, by id: a fixed array written round, so a busy bot allocates nothing per event. */
export function createEventRing(capacity: number, nextId: () => number): EventRing {
  const slots: (PublishedEvent | undefined)[] = new Array(capacity)
  let count = 0
  let head = 0 // where the next event goes
  return {
    add(published) {
      slots[head] = published
      head = (head + 1) % capacity
      count = Math.min(count + 1, capacity)
    },
    since(afterId) {
      const oldestAt = (head - count + capacity) % capacity
      const firstId = count > 0 ? (slots[oldestAt] as PublishedEvent).event.id : nextId()
      // an id ahead of any given out was numbered by an earlier run of the service: all it knows is lost to it
      if (afterId >= nextId()) return { gapFrom: firstId, events: this.since(firstId - 1).events }
      const gapFrom = afterId + 1 < firstId ? firstId : null
      // ids are consecutive in the ring: the first wanted one is found by arithmetic, not a scan
      const skip = Math.max(0, Math.min(count, afterId + 1 - firstId))
      const events: PublishedEvent[] = []
      for (let i = skip; i < count; i++) events.push(slots[(oldestAt + i) % capacity] as PublishedEvent)
      return { gapFrom, events }
    },
  }
}
