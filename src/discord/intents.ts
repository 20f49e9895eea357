import { ApplicationFlags, GatewayIntentBits } from 'discord-api-types/v10'

/** The intents Discord only grants when they are switched on for the application (else close 4014). */
export const PRIVILEGED_INTENTS = {
  GuildMembers: GatewayIntentBits.GuildMembers,
  GuildPresences: GatewayIntentBits.GuildPresences,
  MessageContent: GatewayIntentBits.MessageContent,
} as const

const ALL_INTENT_BITS = Object.values(GatewayIntentBits)
  .filter((bit): bit is number => typeof bit === 'number')
  .reduce((all, bit) => all | bit, 0)

/** Reads `DISCORD_INTENTS`: a bitfield number, or a comma list of discord.js intent names. */
export function parseIntents(text: string): number | { error: string } {
  const trimmed = text.trim()
  if (/^\d+$/.test(trimmed)) {
    const bits = Number(trimmed)
    return (bits & ~ALL_INTENT_BITS) === 0 ? bits : { error: `unknown intent bits in ${trimmed}` }
  }
  let bits = 0
  for (const name of trimmed
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const bit = (GatewayIntentBits as unknown as Record<string, number | undefined>)[name]
    if (typeof bit !== 'number') return { error: `unknown intent "${name}" (use names like Guilds,GuildMessages)` }
    bits |= bit
  }
  return bits
}

export const withoutPrivileged = (bits: number): number =>
  Object.values(PRIVILEGED_INTENTS).reduce((rest, bit) => rest & ~bit, bits)

/**
 * Each privileged intent and the application flags that grant it: the full flag (verified apps, 100+ servers)
 * or the _LIMITED one (switched on in the portal, under 100 servers). Discord: Resources → Application →
 * Application Flags (GATEWAY_PRESENCE 1<<12, _LIMITED 1<<13, GATEWAY_GUILD_MEMBERS 1<<14, _LIMITED 1<<15,
 * GATEWAY_MESSAGE_CONTENT 1<<18, _LIMITED 1<<19).
 */
const GRANTED_BY: readonly [intent: number, flags: number][] = [
  [PRIVILEGED_INTENTS.GuildPresences, ApplicationFlags.GatewayPresence | ApplicationFlags.GatewayPresenceLimited],
  [PRIVILEGED_INTENTS.GuildMembers, ApplicationFlags.GatewayGuildMembers | ApplicationFlags.GatewayGuildMembersLimited],
  [
    PRIVILEGED_INTENTS.MessageContent,
    ApplicationFlags.GatewayMessageContent | ApplicationFlags.GatewayMessageContentLimited,
  ],
]

/** `bits` without the privileged intents the application's flags (GET /applications/@me) do not grant. */
export const withoutUngranted = (bits: number, applicationFlags: number): number =>
  GRANTED_BY.reduce((rest, [intent, flags]) => ((applicationFlags & flags) === 0 ? rest & ~intent : rest), bits)
