import { GatewayIntentBits } from 'discord-api-types/v10'
import { appHasFlag } from '../rest/context.ts'
import type { BotRecord } from '../world/types.ts'

export { GatewayIntentBits as Intent } from 'discord-api-types/v10'

const KNOWN_INTENTS = Object.values(GatewayIntentBits)
  .filter((bit): bit is GatewayIntentBits => typeof bit === 'number')
  .reduce((all, bit) => all | bit, 0)

export const hasIntent = (intents: number, bit: GatewayIntentBits): boolean => (intents & bit) === bit

/** Close code for an IDENTIFY's intents, or null when they are fine (docs: Gateway → Privileged Intents). */
export function intentsProblem(bot: BotRecord, intents: unknown): { code: number; reason: string } | null {
  if (typeof intents !== 'number' || !Number.isInteger(intents) || intents < 0 || (intents & ~KNOWN_INTENTS) !== 0) {
    return { code: 4013, reason: 'Invalid intent(s).' }
  }
  const disallowed =
    (hasIntent(intents, GatewayIntentBits.GuildMembers) && !appHasFlag(bot, 'members')) ||
    (hasIntent(intents, GatewayIntentBits.GuildPresences) && !appHasFlag(bot, 'presences')) ||
    (hasIntent(intents, GatewayIntentBits.MessageContent) && !appHasFlag(bot, 'content'))
  return disallowed ? { code: 4014, reason: 'Disallowed intent(s).' } : null
}
