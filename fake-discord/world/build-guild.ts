import type { Rng } from '../rng.ts'
import { Permission } from '../permissions.ts'
import type {
  BotRecord,
  ChannelRecord,
  GuildRecord,
  MemberRecord,
  OverwriteRecord,
  RoleRecord,
  UserRecord,
} from './types.ts'

export interface ChannelSpec {
  key: string
  type: 0 | 2 | 4
  name: string
  parent?: string
  topic?: string
  hideFromEveryone?: boolean // @everyone denied View Channel; the Moderator role allowed
  denyEveryone?: bigint
}

export interface GuildInput {
  name: string
  createdMs: number
  idAt: (ms: number) => string
  rng: Rng
  ownerId: string
  humans: readonly UserRecord[]
  bots: readonly BotRecord[]
  channels: readonly ChannelSpec[]
  everyonePermissions: bigint
  botPermissions: bigint
}

const HOUR_MS = 3_600_000

export function buildGuild(input: GuildInput): {
  guild: GuildRecord
  channelIds: Map<string, string>
  moderatorRoleId: string
} {
  const { idAt, createdMs, rng } = input
  const guildId = idAt(createdMs)
  const moderatorRoleId = idAt(createdMs + HOUR_MS)
  const memberRoleId = idAt(createdMs + HOUR_MS)
  const roles: RoleRecord[] = [
    role(guildId, '@everyone', 0, input.everyonePermissions, 0),
    role(memberRoleId, 'Member', 1, 0n, 0x3498db),
    role(
      moderatorRoleId,
      'Moderator',
      2,
      Permission.ManageMessages | Permission.KickMembers | Permission.ModerateMembers,
      0xe67e22,
      true,
    ),
  ]
  for (const [i, bot] of input.bots.entries()) {
    roles.push({
      ...role(idAt(createdMs + (30 + i) * 24 * HOUR_MS), bot.user.username, 3 + i, input.botPermissions, 0),
      managed: true,
      botId: bot.user.id,
    })
  }

  const channelIds = new Map<string, string>()
  const channels: ChannelRecord[] = []
  const positions = new Map<number, number>()
  for (const spec of input.channels) {
    const id = idAt(createdMs + 2 * HOUR_MS)
    channelIds.set(spec.key, id)
    // Discord numbers positions per channel kind: categories, text and voice each count from 0
    const position = positions.get(spec.type) ?? 0
    positions.set(spec.type, position + 1)
    channels.push({
      id,
      guildId,
      type: spec.type,
      name: spec.name,
      position,
      topic: spec.topic ?? null,
      parentId: spec.parent ? (channelIds.get(spec.parent) ?? null) : null,
      overwrites: overwritesFor(spec, guildId, moderatorRoleId),
      lastMessageId: null,
    })
  }

  const members = new Map<string, MemberRecord>()
  const joined = (offsetMs: number) => new Date(createdMs + offsetMs).toISOString()
  input.humans.forEach((user, i) => {
    const isModerator = user.id === input.ownerId || i % 97 === 50
    members.set(user.id, {
      userId: user.id,
      roles: isModerator ? [moderatorRoleId, memberRoleId] : i % 3 === 0 ? [memberRoleId] : [],
      joinedAt: joined((i + 1) * HOUR_MS + rng.int(HOUR_MS)),
      nick: rng.next() < 0.05 ? `${user.username.split('_')[0]}-nick` : null,
    })
  })
  input.bots.forEach((bot, i) => {
    const botRole = roles.find((r) => r.botId === bot.user.id)
    members.set(bot.user.id, {
      userId: bot.user.id,
      roles: botRole ? [botRole.id] : [],
      joinedAt: joined((30 + i) * 24 * HOUR_MS),
      nick: null,
    })
  })

  const guild: GuildRecord = {
    id: guildId,
    name: input.name,
    icon: rng.hex(32),
    ownerId: input.ownerId,
    roles,
    channels,
    members,
    systemChannelId: channelIds.get('general') ?? null,
  }
  return { guild, channelIds, moderatorRoleId }
}

function role(
  id: string,
  name: string,
  position: number,
  permissions: bigint,
  color: number,
  hoist = false,
): RoleRecord {
  return { id, name, color, hoist, position, permissions, managed: false, mentionable: false }
}

function overwritesFor(spec: ChannelSpec, guildId: string, moderatorRoleId: string): OverwriteRecord[] {
  if (spec.hideFromEveryone) {
    return [
      { id: guildId, type: 0, allow: 0n, deny: Permission.ViewChannel },
      { id: moderatorRoleId, type: 0, allow: Permission.ViewChannel, deny: 0n },
    ]
  }
  if (spec.denyEveryone) return [{ id: guildId, type: 0, allow: 0n, deny: spec.denyEveryone }]
  return []
}
