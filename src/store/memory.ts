import { type BotPersistence, createBotRegistry } from './bot-registry.ts'
import { createMemoryEventIdStore } from './event-ids.ts'
import { createIndexedSessionStore, KEEPS_NOTHING } from './session-store.ts'
import { createMemoryWebhookStore } from '../webhooks/store.ts'
import { createMemoryIdempotencyStore } from './idempotency-memory.ts'
import { DEFAULT_IDEMPOTENCY_LIMITS, type IdempotencyLimits, type Store } from './types.ts'

/** Tokens stay in this process's memory, as the pool holds them anyway: nothing to seal. */
function createMemoryBotPersistence(): BotPersistence {
  const tokens = new Map<string, string>()
  return {
    put: async (record, token) => {
      tokens.set(record.botKey, token)
    },
    setDesiredState: async () => {},
    writeGatewaySessions: async () => {},
    tokensOf: async (botKeys) =>
      new Map(botKeys.flatMap((botKey) => (tokens.has(botKey) ? [[botKey, tokens.get(botKey) ?? '']] : []))),
    forget: async (botKey) => {
      tokens.delete(botKey)
    },
  }
}

/** The same interfaces, in memory only: for tests, and DATA_DIR=:memory: (nothing survives the process). */
export function createMemoryStore(
  now: () => number = Date.now,
  idempotency: IdempotencyLimits = DEFAULT_IDEMPOTENCY_LIMITS,
): Store {
  const sessions = createIndexedSessionStore({ restored: [], persistence: KEEPS_NOTHING, now })
  const bots = createBotRegistry({ restored: [], persistence: createMemoryBotPersistence(), now })
  return {
    backend: 'memory',
    file: null,
    sessions,
    bots,
    eventIds: createMemoryEventIdStore(),
    idempotency: createMemoryIdempotencyStore({ ...idempotency, now }),
    webhooks: createMemoryWebhookStore(),
    flush: async () => {},
    close: async () => {},
  }
}
