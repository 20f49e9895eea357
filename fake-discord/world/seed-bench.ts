import type { Rng } from '../rng.ts'
import { makeBotToken } from '../tokens.ts'
import { ApplicationFlags } from 'discord-api-types/v10'
import { BOT_ROLE_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS } from '../permissions.ts'
import { buildGuild, type ChannelSpec } from './build-guild.ts'
import { seedMessages } from './seed-messages.ts'
import type { BotRecord, ChannelRecord, GuildRecord, MessageRecord, UserRecord } from './types.ts'

const DAY_MS = 86_400_000
const BENCH_MESSAGES = 50 // one full page of the benchmark's `limit=50` read
const PRIVILEGED_FLAGS =
  ApplicationFlags.GatewayGuildMembersLimited |
  ApplicationFlags.GatewayPresenceLimited |
  ApplicationFlags.GatewayMessageContentLimited

export interface BenchSeedInput {
  count: number
  rng: Rng
  idAt: (ms: number) => string
  secret: string
  ownerId: string
  /** The few humans every bench guild has: small, so GUILD_CREATE carries them all and stays cheap. */
  humans: readonly UserRecord[]
  /** The big guild's layout, so a bench bot's channel list is the size of the big guild's. */
  channels: readonly ChannelSpec[]
  users: Map<string, UserRecord>
  guilds: Map<string, GuildRecord>
  channelRecords: Map<string, ChannelRecord>
  messages: Map<string, MessageRecord[]>
}

/**
 * The benchmark's extra bots: `bench-0…`, each with all privileged intents and alone (no other bot) in its own
 * small guild, so one bot's messages fan out to no other bot. Seeded after the rest of the world, whose ids
 * therefore stay the same with or without them.
 */
export function seedBenchBots(input: BenchSeedInput): Record<`bench-${number}`, BotRecord> {
  const bots: Record<`bench-${number}`, BotRecord> = {}
  for (let i = 0; i < input.count; i++) {
    const name = `bench-${i}` as const
    const userId = input.idAt(Date.UTC(2023, 0, 1) + i * 60_000)
    const user: UserRecord = { id: userId, username: `${name}-bot`, globalName: null, avatar: null, bot: true }
    const bot: BotRecord = {
      name,
      user,
      purpose: 'benchmark bot: all privileged intents; alone in its own small guild',
      applicationId: userId,
      applicationName: `Bench Bot ${i}`,
      applicationFlags: ApplicationFlags.ApplicationCommandBadge | PRIVILEGED_FLAGS,
      token: makeBotToken(userId, Date.UTC(2024, 1, 1), input.secret),
    }
    input.users.set(userId, user)
    bots[name] = bot
    const built = buildGuild({
      name: `Bench Guild ${i}`,
      createdMs: Date.UTC(2024, 1, 1) + i * DAY_MS,
      idAt: input.idAt,
      rng: input.rng,
      ownerId: input.ownerId,
      humans: input.humans,
      bots: [bot],
      channels: input.channels,
      everyonePermissions: DEFAULT_EVERYONE_PERMISSIONS,
      botPermissions: BOT_ROLE_PERMISSIONS,
    })
    input.guilds.set(built.guild.id, built.guild)
    for (const channel of built.guild.channels) input.channelRecords.set(channel.id, channel)
    const general = built.channelIds.get('general')
    if (!general) throw new Error('the bench guild layout needs a general channel')
    seedMessages({
      rng: input.rng,
      idAt: input.idAt,
      messages: input.messages,
      channels: input.channelRecords,
      guildId: built.guild.id,
      channelId: general,
      count: BENCH_MESSAGES,
      startMs: Date.UTC(2024, 5, 1),
      authors: input.humans.map((human) => human.id),
    })
  }
  return bots
}
