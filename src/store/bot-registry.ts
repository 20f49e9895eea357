import type { GatewaySession } from '../contract.ts'
import { sha256Hex } from './hash.ts'
import type { BotRecord, BotRegistry, DesiredState } from './types.ts'

export type GatewaySessionSave = { botKey: string; session: GatewaySession | null; updatedAt: number }

/** Where a backend keeps bots and their tokens; the registry in front answers every read but tokens. */
export interface BotPersistence {
  put(record: BotRecord, token: string): Promise<void>
  setDesiredState(botKey: string, state: DesiredState, updatedAt: number): Promise<void>
  /** A batch of gateway sessions (one transaction). */
  writeGatewaySessions(saves: GatewaySessionSave[]): Promise<void>
  /** The tokens of these bots, decrypted. */
  tokensOf(botKeys: string[]): Promise<Map<string, string>>
  forget(botKey: string): Promise<void>
}

export type FlushableBotRegistry = BotRegistry & { flush(): Promise<void> }

const copy = (record: BotRecord): BotRecord => ({
  ...record,
  gatewaySession: record.gatewaySession && { ...record.gatewaySession },
})

/**
 * Bots (without tokens) in memory, in front of `persistence`: a few hundred small records, read on every admin
 * list and start-up. Writes go to `persistence` first, then to memory; gateway sessions, pushed by each worker every
 * few seconds, are kept in memory and written as one batch by flush().
 */
export function createBotRegistry(options: {
  restored: BotRecord[]
  persistence: BotPersistence
  now: () => number
}): FlushableBotRegistry {
  const { persistence, now } = options
  const bots = new Map(options.restored.map((record) => [record.botKey, copy(record)]))
  const unsavedSessions = new Set<string>()

  return {
    async put({ token, botId, intents, desiredState }) {
      const botKey = sha256Hex(token)
      const gatewaySession = bots.get(botKey)?.gatewaySession ?? null
      const record: BotRecord = { botKey, botId, intents, desiredState, gatewaySession, updatedAt: now() }
      await persistence.put(record, token)
      bots.set(botKey, record)
      unsavedSessions.delete(botKey) // the row just written holds it
      return copy(record)
    },
    get: async (botKey) => {
      const record = bots.get(botKey)
      return record && copy(record)
    },
    list: async () => [...bots.values()].map(copy).sort((a, b) => a.botKey.localeCompare(b.botKey)),
    async setDesiredState(botKey, state) {
      const record = bots.get(botKey)
      if (!record) return false
      const updatedAt = now()
      await persistence.setDesiredState(botKey, state, updatedAt)
      record.desiredState = state
      record.updatedAt = updatedAt
      return true
    },
    saveGatewaySession(botKey, session) {
      const record = bots.get(botKey)
      if (!record) return // forgotten meanwhile: nothing to resume
      record.gatewaySession = session && { ...session }
      record.updatedAt = now()
      unsavedSessions.add(botKey)
    },
    async listRunning() {
      const running = [...bots.values()]
        .filter((record) => record.desiredState === 'running')
        .sort((a, b) => a.botKey.localeCompare(b.botKey))
      const tokens = await persistence.tokensOf(running.map((record) => record.botKey))
      return running.flatMap((record) => {
        const token = tokens.get(record.botKey)
        return token === undefined ? [] : [{ ...copy(record), token }]
      })
    },
    async forget(botKey) {
      if (!bots.has(botKey)) return false
      await persistence.forget(botKey)
      bots.delete(botKey)
      unsavedSessions.delete(botKey)
      return true
    },
    async flush() {
      if (unsavedSessions.size === 0) return
      const saves = [...unsavedSessions].flatMap((botKey) => {
        const record = bots.get(botKey)
        return record ? [{ botKey, session: record.gatewaySession, updatedAt: record.updatedAt }] : []
      })
      unsavedSessions.clear()
      try {
        await persistence.writeGatewaySessions(saves)
      } catch (err) {
        for (const { botKey } of saves) if (bots.has(botKey)) unsavedSessions.add(botKey) // retried next batch
        throw err
      }
    },
  }
}
