import type { DispatchMark } from '../events/ingest.ts'
import type { RestoredBot } from '../pool/pool.ts'
import type { SessionRecord, Store } from '../store/types.ts'

/** What the last run left to bring back: the bots to start, and what each had forwarded of its Discord session. */
export type RestorePlan = {
  bots: RestoredBot[]
  /** Bot key → bot id, for the bots restored (their gateway sessions are saved under the key, events go by id). */
  botIds: Map<string, string>
  marks: Array<{ botId: string; mark: DispatchMark }>
}

export const NOTHING_TO_RESTORE: RestorePlan = { bots: [], botIds: new Map(), marks: [] }

/**
 * Every bot whose desired state is running and that still has a session, most recently used first (so the bots
 * people are using come back first). A bot left running without any session (the process died between a logout
 * and its bot's stop being written) is set stopped instead: no one could use it.
 *
 * A bot's sessions all lease the instance the most recent one holds; one of an older instance (revoked, then
 * logged in again) stays out of the count, and requireBot ends it at its next request as before.
 */
export async function planRestore(store: Store): Promise<RestorePlan> {
  const [running, sessions] = await Promise.all([store.bots.listRunning(), store.sessions.list()])
  const byBot = new Map<string, SessionRecord[]>()
  for (const session of sessions) byBot.set(session.botKey, [...(byBot.get(session.botKey) ?? []), session])
  const ordered: Array<{ bot: RestoredBot; botId: string; botKey: string; lastUsedAt: number }> = []
  for (const bot of running) {
    const own = byBot.get(bot.botKey) ?? []
    const latest = own.reduce<SessionRecord | undefined>(
      (best, session) => (!best || session.lastUsedAt > best.lastUsedAt ? session : best),
      undefined,
    )
    if (!latest) {
      await store.bots.setDesiredState(bot.botKey, 'stopped')
      continue
    }
    ordered.push({
      botKey: bot.botKey,
      botId: bot.botId,
      lastUsedAt: latest.lastUsedAt,
      bot: {
        token: bot.token,
        workerId: latest.workerId,
        leases: own.filter((session) => session.workerId === latest.workerId).length,
        intents: bot.intents,
        session: bot.gatewaySession,
      },
    })
  }
  ordered.sort((a, b) => b.lastUsedAt - a.lastUsedAt)
  return {
    bots: ordered.map((entry) => entry.bot),
    botIds: new Map(ordered.map((entry) => [entry.botKey, entry.botId])),
    marks: ordered.flatMap(({ botId, bot }) =>
      bot.session ? [{ botId, mark: { sessionId: bot.session.sessionId, sequence: bot.session.sequence } }] : [],
    ),
  }
}
