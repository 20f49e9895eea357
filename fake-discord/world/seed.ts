import { createRng, type Rng } from '../rng.ts'
import { snowflakeAt } from '../snowflake.ts'
import { makeBotToken } from '../tokens.ts'
import { ApplicationFlags } from 'discord-api-types/v10'
import { BOT_ROLE_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS, Permission } from '../permissions.ts'
import { buildGuild, type ChannelSpec } from './build-guild.ts'
import { seedBenchBots } from './seed-bench.ts'
import { seedMessages } from './seed-messages.ts'
import type { BotRecord, MessageRecord, SeededBotName, UserRecord, WorldIds, WorldState } from './types.ts'

const HUMAN_COUNT = 1_200 // > 1000: member listing and member chunks must page
const DAY_MS = 86_400_000
const ADJECTIVES = ['quiet', 'brave', 'lucky', 'sunny', 'rapid', 'mellow', 'fuzzy', 'clever', 'gentle', 'bold']
const NOUNS = ['otter', 'falcon', 'maple', 'comet', 'river', 'badger', 'pixel', 'lantern', 'walrus', 'cactus']

/**
 * Privileged intents are application flags. Unverified apps (under 100 servers) get the *_LIMITED flags,
 * which is what real small bots see in GET /applications/@me.
 */
const PRIVILEGED_FLAGS =
  ApplicationFlags.GatewayGuildMembersLimited |
  ApplicationFlags.GatewayPresenceLimited |
  ApplicationFlags.GatewayMessageContentLimited
const BOT_FLAGS = ApplicationFlags.ApplicationCommandBadge

const BOT_PURPOSES: Record<SeededBotName, { privileged: boolean; purpose: string }> = {
  alpha: { privileged: true, purpose: 'all privileged intents; in the big, partial and small guilds' },
  beta: { privileged: true, purpose: 'all privileged intents; in fewer guilds (big and small, not partial)' },
  gamma: { privileged: false, purpose: 'NO privileged intents: asking for them closes 4014' },
  solo: { privileged: true, purpose: 'in exactly one guild (the solo guild)' },
}

/** `extraBots`: the benchmark's `bench-0…` bots (seed-bench.ts); none by default. */
export function createWorld(seed = 1, extraBots = 0): WorldState {
  const rng = createRng(seed)
  let increment = 0
  // a sub-second jitter makes every id depend on the seed; things seeded in order stay minutes apart
  const idAt = (ms: number) => snowflakeAt(ms + rng.int(1000), increment++)
  const secret = `fake-discord:${seed}:${rng.hex(32)}`

  const users = new Map<string, UserRecord>()
  const humans = seedHumans(rng, idAt)
  for (const user of humans) users.set(user.id, user)
  const outsider = humanAt(rng, idAt, Date.UTC(2023, 5, 1), HUMAN_COUNT)
  users.set(outsider.id, outsider)

  const bots = seedBots(idAt, secret)
  for (const bot of Object.values(bots)) users.set(bot.user.id, bot.user)
  const outdatedTokens = new Map([[makeBotToken(bots.alpha.user.id, Date.UTC(2023, 0, 2), secret), 'alpha' as const]])

  const [owner, human] = humans
  if (!owner || !human) throw new Error('the seed needs at least two humans')
  const guildInput = (
    name: string,
    createdMs: number,
    members: readonly UserRecord[],
    guildBots: SeededBotName[],
    channels: ChannelSpec[],
  ) => ({
    name,
    createdMs,
    idAt,
    rng,
    ownerId: owner.id,
    humans: members,
    bots: guildBots.map((b) => bots[b]),
    channels,
    everyonePermissions: DEFAULT_EVERYONE_PERMISSIONS,
    botPermissions: BOT_ROLE_PERMISSIONS,
  })

  const bigChannels: ChannelSpec[] = [
    { key: 'category', type: 4, name: 'Text Channels' },
    { key: 'general', type: 0, name: 'general', parent: 'category', topic: 'Say hello' },
    { key: 'history', type: 0, name: 'history', parent: 'category', topic: 'Hundreds of old messages' },
    { key: 'hidden', type: 0, name: 'mod-only', parent: 'category', hideFromEveryone: true },
    { key: 'readOnly', type: 0, name: 'announcements', parent: 'category', denyEveryone: Permission.SendMessages },
    { key: 'voiceCategory', type: 4, name: 'Voice Channels' },
    { key: 'voice', type: 2, name: 'Lounge', parent: 'voiceCategory' },
  ]
  const big = buildGuild(guildInput('Big Guild', Date.UTC(2019, 2, 1), humans, ['alpha', 'beta', 'gamma'], bigChannels))
  const simple = (prefix: string): ChannelSpec[] => [
    { key: 'category', type: 4, name: 'Text Channels' },
    { key: 'general', type: 0, name: 'general', parent: 'category', topic: `${prefix} chat` },
    { key: 'voice', type: 2, name: 'General', parent: 'category' },
  ]
  const partial = buildGuild(
    guildInput('Partial Guild', Date.UTC(2020, 4, 1), humans.slice(0, 30), ['alpha', 'gamma'], simple('Partial')),
  )
  const small = buildGuild(
    guildInput('Small Guild', Date.UTC(2021, 6, 1), humans.slice(0, 10), ['alpha', 'beta', 'gamma'], simple('Small')),
  )
  const solo = buildGuild(guildInput('Solo Guild', Date.UTC(2022, 8, 1), humans.slice(0, 5), ['solo'], simple('Solo')))

  const guilds = new Map([big, partial, small, solo].map((built) => [built.guild.id, built.guild]))
  const channels = new Map([big, partial, small, solo].flatMap((built) => built.guild.channels.map((c) => [c.id, c])))
  const channelOf = (built: typeof big, key: string): string => {
    const channelId = built.channelIds.get(key)
    if (!channelId) throw new Error(`no channel ${key}`)
    return channelId
  }

  const ids: WorldIds = {
    bigGuild: big.guild.id,
    partialGuild: partial.guild.id,
    smallGuild: small.guild.id,
    soloGuild: solo.guild.id,
    categoryChannel: channelOf(big, 'category'),
    generalChannel: channelOf(big, 'general'),
    manyMessagesChannel: channelOf(big, 'history'),
    hiddenChannel: channelOf(big, 'hidden'),
    readOnlyChannel: channelOf(big, 'readOnly'),
    voiceChannel: channelOf(big, 'voice'),
    partialGeneralChannel: channelOf(partial, 'general'),
    smallGeneralChannel: channelOf(small, 'general'),
    soloGeneralChannel: channelOf(solo, 'general'),
    moderatorRole: big.moderatorRoleId,
    ownerUser: owner.id,
    humanUser: human.id,
    outsiderUser: outsider.id,
  }

  const messages = new Map<string, MessageRecord[]>()
  const authors = humans.slice(0, 50).map((user) => user.id)
  seedMessages({
    rng,
    idAt,
    messages,
    channels,
    guildId: big.guild.id,
    channelId: ids.manyMessagesChannel,
    count: 300,
    startMs: Date.UTC(2024, 2, 1),
    authors,
  })
  seedMessages({
    rng,
    idAt,
    messages,
    channels,
    guildId: big.guild.id,
    channelId: ids.generalChannel,
    count: 5,
    startMs: Date.UTC(2024, 5, 1),
    authors,
  })
  seedMessages({
    rng,
    idAt,
    messages,
    channels,
    guildId: big.guild.id,
    channelId: ids.readOnlyChannel,
    count: 3,
    startMs: Date.UTC(2024, 4, 1),
    authors: [owner.id],
  })

  const onlineUserIds = new Set(humans.filter(() => rng.next() < 0.08).map((user) => user.id))
  onlineUserIds.add(human.id)
  const benchBots = seedBenchBots({
    count: extraBots,
    rng,
    idAt,
    secret,
    ownerId: owner.id,
    humans: humans.slice(0, 5),
    channels: bigChannels,
    users,
    guilds,
    channelRecords: channels,
    messages,
  })

  return {
    seed,
    ids,
    bots: { ...bots, ...benchBots },
    users,
    guilds,
    channels,
    messages,
    onlineUserIds,
    outdatedTokens,
    secret,
    messagesOf: (channelId) => messages.get(channelId) ?? [],
  }
}

function seedHumans(rng: Rng, idAt: (ms: number) => string): UserRecord[] {
  const start = Date.UTC(2016, 0, 1)
  // spread over ~6 years, in id order, so member listing (sorted by user id) is the seed order
  return Array.from({ length: HUMAN_COUNT }, (_, i) => humanAt(rng, idAt, start + (i * 4 * DAY_MS) / 2, i))
}

function humanAt(rng: Rng, idAt: (ms: number) => string, createdMs: number, index: number): UserRecord {
  const adjective = rng.pick(ADJECTIVES)
  const noun = rng.pick(NOUNS)
  return {
    id: idAt(createdMs + rng.int(3_600_000)),
    username: `${adjective}_${noun}${index}`,
    globalName: rng.next() < 0.6 ? `${adjective[0]?.toUpperCase()}${adjective.slice(1)} ${noun}` : null,
    avatar: rng.next() < 0.7 ? rng.hex(32) : null,
    bot: false,
  }
}

function seedBots(idAt: (ms: number) => string, secret: string): Record<SeededBotName, BotRecord> {
  const names: SeededBotName[] = ['alpha', 'beta', 'gamma', 'solo']
  const entries = names.map((name, i): [SeededBotName, BotRecord] => {
    const userId = idAt(Date.UTC(2020, 0, 1 + i * 30))
    const { privileged, purpose } = BOT_PURPOSES[name]
    const user: UserRecord = { id: userId, username: `${name}-bot`, globalName: null, avatar: null, bot: true }
    return [
      name,
      {
        name,
        user,
        purpose,
        applicationId: userId, // apps made since 2016 share the bot user's id
        applicationName: `${name[0]?.toUpperCase()}${name.slice(1)} Bot`,
        applicationFlags: BOT_FLAGS | (privileged ? PRIVILEGED_FLAGS : 0),
        token: makeBotToken(userId, Date.UTC(2024, 0, 1 + i), secret),
      },
    ]
  })
  return Object.fromEntries(entries) as Record<SeededBotName, BotRecord>
}
