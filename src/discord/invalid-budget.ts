/**
 * Discord bans an IP for a while after 10 000 invalid requests (401, 403, 429) within 10 minutes, across
 * every bot behind it. This counts them over a sliding window, IP-wide and per bot, in memory every thread
 * shares (a SharedArrayBuffer): a worker counts each answer as it arrives and checks before each call, with no
 * message hop, and nothing it counted is lost when it stops. Polling the workers' totals every 5 s overshot
 * the limit (158 used with a limit of 100) and lost what a stopping worker counted after the last poll.
 *
 * Each bucket is one Int32 holding a tag of its time bucket (high bits) and its count (low bits), changed by
 * compare-and-swap only: a worker terminated mid-update can leave no lock held and no half-written bucket.
 */
export const DISCORD_INVALID_WINDOW_MS = 10 * 60_000

const COUNT_BITS = 20
const COUNT_MAX = (1 << COUNT_BITS) - 1
const TAG_MASK = (1 << (31 - COUNT_BITS)) - 1 // 11 bits: a bucket's tag repeats after lcm(slots, 2048) buckets

/** IP-wide: one-second buckets. Per bot: ten-second buckets (60 Int32s a bot). */
const IP_BUCKET_MS = 1000
const BOT_BUCKET_MS = 10_000

/**
 * One thread's view of a window. Counts only ever go into the current bucket, so the sum of the earlier ones is
 * kept per thread and rescanned when the bucket changes: a check is then one load, not a scan of 600 (measured
 * about 2–17 µs a scan on the shared 2-core box). A count another thread wrote into the bucket that just ended,
 * after this thread rescanned, shows at its next rescan: a second late at most.
 */
type WindowView = { cells: Int32Array; bucketMs: number; scannedAt: number; earlier: number }

const windowOf = (buffer: SharedArrayBuffer, offset: number, windowMs: number, bucketMs: number): WindowView => ({
  cells: new Int32Array(buffer, offset * 4, Math.ceil(windowMs / bucketMs)),
  bucketMs,
  scannedAt: Number.NaN,
  earlier: 0,
})

function addTo(view: WindowView, count: number, now: number) {
  const bucket = Math.floor(now / view.bucketMs)
  const slot = bucket % view.cells.length
  const tag = bucket & TAG_MASK
  for (;;) {
    const old = Atomics.load(view.cells, slot)
    const base = old >>> COUNT_BITS === tag ? old & COUNT_MAX : 0 // another bucket's leftover starts over
    const next = (tag << COUNT_BITS) | Math.min(COUNT_MAX, base + count)
    if (Atomics.compareExchange(view.cells, slot, old, next) === old) return
  }
}

/** The current bucket's count, or 0 while the slot still holds an earlier lap's. */
function countIn(view: WindowView, bucket: number): number {
  const slots = view.cells.length
  const value = Atomics.load(view.cells, ((bucket % slots) + slots) % slots)
  return value >>> COUNT_BITS === (bucket & TAG_MASK) ? value & COUNT_MAX : 0
}

function sumOf(view: WindowView, now: number): number {
  const current = Math.floor(now / view.bucketMs)
  if (view.scannedAt !== current) {
    view.earlier = scan(view, current) - countIn(view, current)
    view.scannedAt = current
  }
  return view.earlier + countIn(view, current)
}

/**
 * Sums the buckets still in the window; a bucket left from an earlier lap is zeroed on the way, so a tag can
 * only alias one that lapped 2048 times unseen (about 21 hours IP-wide) with no scan in between.
 */
function scan(view: WindowView, current: number): number {
  const { cells } = view
  const slots = cells.length
  let total = 0
  for (let slot = 0; slot < slots; slot++) {
    const value = Atomics.load(cells, slot)
    if (value === 0) continue
    // the one bucket in (current - slots, current] that lands in this slot
    const bucket = current - ((((current - slot) % slots) + slots) % slots)
    if (value >>> COUNT_BITS === (bucket & TAG_MASK)) total += value & COUNT_MAX
    else Atomics.compareExchange(cells, slot, value, 0)
  }
  return total
}

/** How long until the window holds fewer than `limit`: when its oldest buckets that must go have left it. */
function drainsInMs(view: WindowView, limit: number, now: number): number {
  const { cells } = view
  const slots = cells.length
  const current = Math.floor(now / view.bucketMs)
  let excess = sumOf(view, now) - limit + 1
  for (let bucket = current - slots + 1; bucket <= current && excess > 0; bucket++) {
    const value = Atomics.load(cells, ((bucket % slots) + slots) % slots)
    if (value >>> COUNT_BITS === (bucket & TAG_MASK)) excess -= value & COUNT_MAX
    if (excess <= 0) return (bucket + slots) * view.bucketMs - now
  }
  return 0
}

export type InvalidRequestBudget = {
  add(count: number, now?: number): void
  used(now?: number): number
  /** True when the window holds `limit` or more: stop calling Discord until it drains. */
  exhausted(now?: number): boolean
  /** Milliseconds until an exhausted window has room again; 0 when it has room now. */
  retryAfterMs(now?: number): number
  limit: number
}

/** Where a bot's own count lives: handed to its worker at start with the shared memory. */
export type BotBudgetSlot = { buffer: SharedArrayBuffer; botSlot: number; ipLimit: number; botLimit: number }

export type SharedInvalidBudget = InvalidRequestBudget & {
  buffer: SharedArrayBuffer
  /** The per-bot share: a bot past it is refused while the others go on. */
  botLimit: number
  /**
   * The slot that counts `botKey`'s invalid requests: the one it had (a logout and login keep the count), else
   * one no live bot holds and whose window drained. -1 when none is free: that bot has the IP-wide guard only.
   */
  slotFor(botKey: string, isLive: (botKey: string) => boolean): number
  usedByBot(botSlot: number, now?: number): number
}

/** The whole window's layout in Int32s: the IP-wide buckets, then `botSlots` per-bot windows. */
const layout = (windowMs: number, botSlots: number) => {
  const ipCells = Math.ceil(windowMs / IP_BUCKET_MS)
  const botCells = Math.ceil(windowMs / BOT_BUCKET_MS)
  return { ipCells, botCells, total: ipCells + botCells * botSlots }
}

export function createInvalidRequestBudget(
  limit: number,
  options: { windowMs?: number; botSlots?: number; botLimit?: number } = {},
): SharedInvalidBudget {
  const { windowMs = DISCORD_INVALID_WINDOW_MS, botSlots = 0, botLimit = limit } = options
  const shape = layout(windowMs, botSlots)
  const buffer = new SharedArrayBuffer(shape.total * 4)
  const ip = windowOf(buffer, 0, windowMs, IP_BUCKET_MS)
  const bots = Array.from({ length: botSlots }, (_, slot) =>
    windowOf(buffer, shape.ipCells + slot * shape.botCells, windowMs, BOT_BUCKET_MS),
  )
  const owners: (string | undefined)[] = new Array(botSlots).fill(undefined)
  const slots = new Map<string, number>()
  const used = (now = Date.now()) => sumOf(ip, now)
  return {
    limit,
    botLimit,
    buffer,
    add(count, now = Date.now()) {
      if (count > 0) addTo(ip, count, now)
    },
    used,
    exhausted: (now = Date.now()) => used(now) >= limit,
    retryAfterMs: (now = Date.now()) => drainsInMs(ip, limit, now),
    slotFor(botKey, isLive) {
      const had = slots.get(botKey)
      if (had !== undefined) return had
      const now = Date.now()
      const free = owners.findIndex(
        (owner, slot) => owner === undefined || (!isLive(owner) && sumOf(bots[slot]!, now) === 0),
      )
      if (free < 0) return -1
      const previous = owners[free]
      if (previous !== undefined) slots.delete(previous)
      owners[free] = botKey
      slots.set(botKey, free)
      return free
    },
    usedByBot: (botSlot, now = Date.now()) => (bots[botSlot] ? sumOf(bots[botSlot], now) : 0),
  }
}

/** What a worker does with the shared memory: count each invalid answer as it comes, and check before a call. */
export type BudgetCounter = {
  count(now?: number): void
  /** Why a call must not go to Discord now, or null. `scope` 'ip': the IP-wide window only. */
  refusal(now?: number, scope?: 'ip' | 'all'): 'ip' | 'bot' | null
  /** Milliseconds until the refusing window has room again. */
  retryAfterMs(reason: 'ip' | 'bot', now?: number): number
}

export function attachBudgetCounter(slot: BotBudgetSlot, windowMs = DISCORD_INVALID_WINDOW_MS): BudgetCounter {
  const shape = layout(windowMs, 0)
  const ip = windowOf(slot.buffer, 0, windowMs, IP_BUCKET_MS)
  const bot =
    slot.botSlot >= 0
      ? windowOf(slot.buffer, shape.ipCells + slot.botSlot * shape.botCells, windowMs, BOT_BUCKET_MS)
      : null
  return {
    count(now = Date.now()) {
      addTo(ip, 1, now)
      if (bot) addTo(bot, 1, now)
    },
    refusal(now = Date.now(), scope = 'all') {
      if (scope === 'all' && bot && sumOf(bot, now) >= slot.botLimit) return 'bot'
      if (sumOf(ip, now) >= slot.ipLimit) return 'ip'
      return null
    },
    retryAfterMs: (reason, now = Date.now()) =>
      reason === 'bot' && bot ? drainsInMs(bot, slot.botLimit, now) : drainsInMs(ip, slot.ipLimit, now),
  }
}
