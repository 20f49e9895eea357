import type { WorkerState } from '../pool/bot-types.ts'
import type { LifecycleEventType } from './types.ts'

/**
 * The live event a worker state change is to a client. `resumed`: the Discord session went on, nothing was missed
 * (discord.js resumed the connection, or a crash restart RESUMEd it and Discord replayed the gap); `ready`: a new
 * Discord session (first login, or a restart that had to IDENTIFY: what happened meanwhile is not replayed).
 */
export function lifecycleEventOf(change: {
  from: WorkerState
  to: WorkerState
  resumed: boolean
}): LifecycleEventType | null {
  switch (change.to) {
    case 'ready':
      return change.from === 'reconnecting' || change.resumed ? 'resumed' : 'ready'
    case 'reconnecting':
    case 'restarting':
    case 'failed':
      return change.to
    default:
      return null
  }
}
