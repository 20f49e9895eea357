import type { JsonText, WorkerPush } from '../contract.ts'
import { AppError } from '../errors.ts'

/**
 * The gateway's copy of a bot's guild and channel lists, as bodies the worker serialized and keeps fresh
 * by pushing changes. Serving these needs no RPC and no serialization on the gateway thread.
 */
export type BotCache = {
  apply(push: WorkerPush): void
  /** null until the worker's first snapshot arrived. */
  guilds(): JsonText | null
  /** The channel list of a guild (or of the only guild); throws our 400/404 like the worker would. */
  channels(guildId: string | null): JsonText | null
}

export function createBotCache(): BotCache {
  let guildsBody: JsonText | null = null
  let guildIds: string[] = []
  const channelsByGuild = new Map<string, JsonText>()

  return {
    apply(push) {
      switch (push.botvisor) {
        case 'guilds':
          guildsBody = push.body
          guildIds = push.guildIds
          return
        case 'channels':
          if (push.body === null) channelsByGuild.delete(push.guildId)
          else channelsByGuild.set(push.guildId, push.body)
          return
      }
    },
    guilds: () => guildsBody,
    channels(guildId) {
      if (guildsBody === null) return null
      if (guildId === null) {
        const only = guildIds.length === 1 ? guildIds[0] : undefined
        if (only === undefined) throw new AppError(400, 'bad_request', `The bot is in ${guildIds.length} guilds: pass guildId`)
        guildId = only
      }
      const body = channelsByGuild.get(guildId)
      if (body === undefined) throw new AppError(404, 'not_found', 'Unknown guild')
      return body
    },
  }
}
