import type { EventIdStore } from './types.ts'

export interface EventIdBlocks {
  /** Reserves the bot's first block (after a restart: past every id the last run may have used). */
  open(botId: string): Promise<void>
  /** The bot's next event id, at once: the hub numbers events synchronously. open() must have resolved. */
  next(botId: string): number
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
      if (blocks.has(botId)) return
      const first = await store.reserve(botId, blockSize)
      blocks.set(botId, { last: first - 1, through: first + blockSize - 1, refilling: false })
    },
    next(botId) {
      const block = blocks.get(botId)
      if (!block) throw new Error(`event ids of bot ${botId} were not opened`) // a wiring bug, not input
      block.last += 1
      if (!block.refilling && block.through - block.last <= blockSize / 2) refill(botId, block)
      return block.last
    },
  }
}
