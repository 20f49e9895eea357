import type { Database } from 'bun:sqlite'
import type { BotPersistence, GatewaySessionSave } from './bot-registry.ts'
import type { Sealer } from './crypto.ts'
import { StoreError } from './errors.ts'
import type { BotRecord, DesiredState } from './types.ts'

type BotRow = {
  bot_key: string
  bot_id: string
  token: Uint8Array
  intents: number
  desired_state: DesiredState
  gateway_session_id: string | null
  gateway_sequence: number | null
  gateway_resume_url: string | null
  gateway_shard_id: number | null
  gateway_shard_count: number | null
  updated_at: number
}

/** The row identity a token is sealed to: a sealed token copied into another bot's row does not open. */
const tokenRow = (botKey: string) => `bots:${botKey}`

const toRecord = (row: BotRow): BotRecord => ({
  botKey: row.bot_key,
  botId: row.bot_id,
  intents: row.intents,
  desiredState: row.desired_state,
  gatewaySession:
    row.gateway_session_id === null
      ? null
      : {
          sessionId: row.gateway_session_id,
          sequence: row.gateway_sequence ?? 0,
          resumeUrl: row.gateway_resume_url ?? '',
          shardId: row.gateway_shard_id ?? 0,
          shardCount: row.gateway_shard_count ?? 1,
        },
  updatedAt: row.updated_at,
})

const gatewayColumns = (save: Omit<GatewaySessionSave, 'botKey'>) => ({
  sessionId: save.session?.sessionId ?? null,
  sequence: save.session?.sequence ?? null,
  resumeUrl: save.session?.resumeUrl ?? null,
  shardId: save.session?.shardId ?? null,
  shardCount: save.session?.shardCount ?? null,
  updatedAt: save.updatedAt,
})

/** The bots table, tokens sealed with the store's key. */
export function createSqliteBotPersistence(
  db: Database,
  sealer: Sealer,
  file: string,
): { restored: BotRecord[]; persistence: BotPersistence } {
  const rows = db.query<BotRow, []>('SELECT * FROM bots').all()
  const upsert = db.query(
    `INSERT INTO bots (bot_key, bot_id, token, intents, desired_state, gateway_session_id, gateway_sequence,
       gateway_resume_url, gateway_shard_id, gateway_shard_count, updated_at)
     VALUES ($botKey, $botId, $token, $intents, $desiredState, $sessionId, $sequence, $resumeUrl, $shardId,
       $shardCount, $updatedAt)
     ON CONFLICT (bot_key) DO UPDATE SET bot_id = $botId, token = $token, intents = $intents,
       desired_state = $desiredState, gateway_session_id = $sessionId, gateway_sequence = $sequence,
       gateway_resume_url = $resumeUrl, gateway_shard_id = $shardId, gateway_shard_count = $shardCount,
       updated_at = $updatedAt`,
  )
  const setState = db.query('UPDATE bots SET desired_state = $state, updated_at = $updatedAt WHERE bot_key = $botKey')
  const setGateway = db.query(
    `UPDATE bots SET gateway_session_id = $sessionId, gateway_sequence = $sequence, gateway_resume_url = $resumeUrl,
       gateway_shard_id = $shardId, gateway_shard_count = $shardCount, updated_at = $updatedAt
     WHERE bot_key = $botKey`,
  )
  const sealedToken = db.query<{ token: Uint8Array }, { botKey: string }>(
    'SELECT token FROM bots WHERE bot_key = $botKey',
  )
  const remove = db.query('DELETE FROM bots WHERE bot_key = $botKey')
  const writeGatewaySessions = db.transaction((saves: GatewaySessionSave[]) => {
    for (const save of saves) setGateway.run({ botKey: save.botKey, ...gatewayColumns(save) })
  })

  return {
    restored: rows.map(toRecord),
    persistence: {
      async put(record, token) {
        const sealed = await sealer.seal(token, tokenRow(record.botKey))
        const { botKey, botId, intents, desiredState } = record
        const gateway = gatewayColumns({ session: record.gatewaySession, updatedAt: record.updatedAt })
        upsert.run({ botKey, botId, token: sealed, intents, desiredState, ...gateway })
      },
      setDesiredState: async (botKey, state, updatedAt) => {
        setState.run({ botKey, state, updatedAt })
      },
      writeGatewaySessions: async (saves) => writeGatewaySessions(saves),
      async tokensOf(botKeys) {
        const tokens = new Map<string, string>()
        for (const botKey of botKeys) {
          const row = sealedToken.get({ botKey })
          if (!row) continue
          const token = await sealer.open(row.token, tokenRow(botKey))
          // the key check passed at open, so this row was altered or moved: never start a bot on a guess
          if (token === undefined)
            throw new StoreError(
              'corrupt',
              file,
              `${file}: the token of bot row ${botKey.slice(0, 12)}… does not decrypt`,
            )
          tokens.set(botKey, token)
        }
        return tokens
      },
      forget: async (botKey) => {
        remove.run({ botKey })
      },
    },
  }
}
