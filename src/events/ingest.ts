import type { ForwardedDispatch, WorkerPush } from '../contract.ts'
import type { EventHub } from './hub.ts'
import type { LifecycleEventType, PublishedEvent } from './types.ts'

export type EventIngestHooks = {
  onForwarded?: (type: string) => void
  /** A dispatch Discord replayed after a RESUME that the gateway had already forwarded. */
  onReplayDropped?: () => void
}

export type EventIngest = {
  /** A worker's `events` push: each dispatch not yet forwarded gets published, in Discord's order. */
  dispatches(push: Extract<WorkerPush, { botvisor: 'events' }>): void
  /** The bot's own lifecycle, as the supervisor saw it change. */
  lifecycle(botId: string, type: LifecycleEventType, data: Record<string, unknown>): PublishedEvent | null
  /**
   * Where the next run's RESUME must start for nothing forwarded to be repeated and nothing held back to be lost:
   * the last dispatch published, or, once frozen, the one before the first dispatch it held back.
   * `exact`: use this sequence as it is (dispatches after it were held back), else it is a floor.
   */
  resumePoint(botId: string): (DispatchMark & { exact: boolean }) | undefined
  /**
   * Shutdown: the SSE streams are ending, so nothing more is published (no id given out that no reader will
   * see); the dispatches held back are replayed by Discord to the next run, which RESUMEs from resumePoint().
   */
  freeze(): void
  /** After a restart of the service: what the last run had forwarded, so Discord's RESUME replay is deduped. */
  restoreMark(botId: string, mark: DispatchMark): void
}

export type DispatchMark = { sessionId: string; sequence: number }

/**
 * Exactly once across worker crashes: per bot (its Discord id) the gateway keeps the Discord session and the
 * sequence of the last dispatch it forwarded. A restarted worker RESUMEs from the sequence the gateway last heard
 * of, which is never ahead of what it received (workers/resume.ts), so Discord replays at least everything
 * missed; what was already forwarded (sequence at or below the mark) is dropped here. A new session (READY after
 * IDENTIFY) numbers from 1 again: its first push resets the mark.
 */
export function createEventIngest(hub: EventHub, hooks: EventIngestHooks = {}): EventIngest {
  const marks = new Map<string, DispatchMark>()
  const heldBack = new Map<string, DispatchMark>()
  let frozen = false
  return {
    dispatches(push) {
      if (frozen) {
        const first = (JSON.parse(push.body) as ForwardedDispatch[])[0]
        const known = marks.get(push.botId)
        const newer = first && (!known || known.sessionId !== push.sessionId || first.s > known.sequence)
        if (newer && !heldBack.has(push.botId))
          heldBack.set(push.botId, { sessionId: push.sessionId, sequence: first.s - 1 })
        return
      }
      let mark = marks.get(push.botId)
      if (!mark || mark.sessionId !== push.sessionId) {
        mark = { sessionId: push.sessionId, sequence: 0 }
        marks.set(push.botId, mark)
      }
      for (const dispatch of JSON.parse(push.body) as ForwardedDispatch[]) {
        if (dispatch.s <= mark.sequence) {
          hooks.onReplayDropped?.()
          continue
        }
        mark.sequence = dispatch.s
        const { type, guildId, channelId, at, data } = dispatch
        hub.publish({
          type,
          botId: push.botId,
          ...(guildId ? { guildId } : {}),
          ...(channelId ? { channelId } : {}),
          at,
          data,
        })
        hooks.onForwarded?.(type)
      }
    },
    lifecycle: (botId, type, data) =>
      frozen ? null : hub.publish({ type, botId, at: new Date().toISOString(), data }),
    resumePoint(botId) {
      const held = heldBack.get(botId)
      if (held) return { ...held, exact: true }
      const mark = marks.get(botId)
      return mark && { ...mark, exact: false }
    },
    freeze() {
      frozen = true
    },
    restoreMark(botId, mark) {
      if (!marks.has(botId)) marks.set(botId, { ...mark })
    },
  }
}
