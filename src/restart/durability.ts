import type { GatewaySession } from '../contract.ts'
import type { EventHub } from '../events/hub.ts'
import type { EventIngest } from '../events/ingest.ts'
import type { Logger } from '../log.ts'
import type { PoolHooks } from '../pool/pool.ts'
import type { EventIdBlocks } from '../store/event-id-blocks.ts'
import type { Store } from '../store/types.ts'
import type { RestorePlan } from './plan.ts'

/** The bot user id a Discord token starts with (base64 of it), known before the bot logs in. */
export function botIdOfToken(token: string): string | null {
  const head = token.split('.', 1)[0] ?? ''
  const id = Buffer.from(head, 'base64url').toString('latin1')
  return /^\d{17,20}$/.test(id) ? id : null
}

export type Durability = {
  hooks: Required<Pick<PoolHooks, 'onAcquired' | 'onStopped' | 'beforeStart' | 'onGatewaySession'>>
  /** After every worker was suspended: the last gateway sessions, then the store flushed and closed. */
  close(): Promise<void>
}

/**
 * What the pool tells the store, so a restart loses nothing: a login's bot (token sealed, desired state running)
 * before the login answers; a bot stopped for good (logout, admin, revoked) as stopped, so it does not come back;
 * each bot's gateway session for a RESUME, batched. The session saved carries the sequence of the last dispatch
 * the gateway forwarded when that is later than the worker's report (the worker never reports a sequence the
 * gateway has not received, workers/resume.ts), or, after a shutdown froze the ingest, the one before the first
 * dispatch held back: a RESUME from there replays exactly what no reader has seen.
 */
export function createDurability(deps: {
  store: Store
  ingest: EventIngest
  hub: EventHub
  eventIds: EventIdBlocks
  log: Logger
  /** The bot still (or again) in the pool: a stop written after a new login would make it vanish at restart. */
  isRunning: (botKey: string) => boolean
  restored: RestorePlan
}): Durability {
  const { store, ingest, eventIds, log } = deps
  const botIds = new Map(deps.restored.botIds)
  const sessions = new Map<string, GatewaySession | null>()

  const withForwarded = (botKey: string, session: GatewaySession | null): GatewaySession | null => {
    const botId = botIds.get(botKey)
    const point = botId === undefined ? undefined : ingest.resumePoint(botId)
    if (!session || !point || point.sessionId !== session.sessionId) return session
    if (!point.exact && point.sequence <= session.sequence) return session
    return { ...session, sequence: point.sequence }
  }

  return {
    hooks: {
      async onAcquired(token, bot) {
        const { botId, intentBits } = bot.identity
        botIds.set(bot.botKey, botId)
        const known = await store.bots.get(bot.botKey)
        if (known?.desiredState === 'running' && known.intents === intentBits && known.botId === botId) return
        await store.bots.put({ token, botId, intents: intentBits, desiredState: 'running' })
      },
      async onStopped(botKey, cause) {
        sessions.delete(botKey)
        if (deps.isRunning(botKey)) return // logged in again meanwhile
        await store.bots.setDesiredState(botKey, 'stopped')
        store.bots.saveGatewaySession(botKey, null)
        log.info({ cause }, 'bot stopped for good: it will not be started again after a restart')
      },
      async beforeStart(token) {
        const botId = botIdOfToken(token)
        if (botId) deps.hub.continueAfter(botId, await eventIds.open(botId))
      },
      onGatewaySession(botKey, session) {
        sessions.set(botKey, session)
        store.bots.saveGatewaySession(botKey, withForwarded(botKey, session))
      },
    },
    async close() {
      // the workers' last words came with their suspension; the dispatches forwarded until then are in the marks
      for (const [botKey, session] of sessions) store.bots.saveGatewaySession(botKey, withForwarded(botKey, session))
      await eventIds.close()
      await store.close()
    },
  }
}
