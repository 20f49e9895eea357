import type { EventIdStore } from './types.ts'

export interface EventIdBlocks {
  /**
   * Reserves the bot's first block (after a restart: past every id the last run may have used) and returns the
   * last id before it (0: the bot's first ids).
   */
  open(botId: string): Promise<number>
  /** The bot's next event id, at once: the hub numbers events synchronously. open() must have resolved. */
  next(botId: string): number
  /** open() resolved for the bot: next() may be called. */
  opened(botId: string): boolean
  /** A clean shutdown: every bot's unused ids are given back, so the next run continues without a gap. */
  close(): Promise<void>
}

type Block = { last: number; through: number; refilling: boolean }

/**
 * Event ids handed out from blocks reserved in the store, so publishing an event does no I/O: one durable write
 * per `blockSize` events, started when half a block is left. A restart continues after the last reserved block
 * (ids keep increasing; the unused rest of a block is a gap, which Last-Event-ID readers never notice).
 * Should a burst outrun a refill still in flight (half a block, 500 events, within one write), ids go on past the
 * reservation and the next reservation covers them; only a crash inside that window could hand one out twice.
 */
export function createEventIdBlocks(
  store: EventIdStore,
  options: { blockSize?: number; onError: (err: unknown) => void },
): EventIdBlocks {
  const blockSize = options.blockSize ?? 1_000
  const blocks = new Map<string, Block>()

  const refill = (botId: string, block: Block) => {
    block.refilling = true
    const count = Math.max(blockSize, block.last - block.through + blockSize)
    store.reserve(botId, count).then(
      (first) => {
        block.through = first + count - 1
        block.refilling = false
        if (block.through - block.last <= blockSize / 2) refill(botId, block) // outrun meanwhile
      },
      (err: unknown) => {
        block.refilling = false // the next event tries again
        options.onError(err)
      },
    )
  }

  return {
    async open(botId) {
      const known = blocks.get(botId)
      if (known) return known.last
      const first = await store.reserve(botId, blockSize)
      const raced = blocks.get(botId) // two opens of one bot at once: the first block stays, the second is a gap
      if (raced) return raced.last
      blocks.set(botId, { last: first - 1, through: first + blockSize - 1, refilling: false })
      return first - 1
    },
    async close() {
      await Promise.all([...blocks].map(([botId, block]) => store.giveBack(botId, block.last)))
    },
    opened: (botId) => blocks.has(botId),
    next(botId) {
      const block = blocks.get(botId)
      if (!block) throw new Error(`event ids of bot ${botId} were not opened`) // a wiring bug, not input
      block.last += 1
      if (!block.refilling && block.through - block.last <= blockSize / 2) refill(botId, block)
      return block.last
    },
  }
}
