import { describe, expect, test } from 'bun:test'
import { channelPermissions, hasPermission, Permission } from '../../fake-discord/permissions.ts'
import { createWorld } from '../../fake-discord/world/seed.ts'

const world = createWorld(3)
const { ids } = world
const big = world.guilds.get(ids.bigGuild)
const channel = (id: string) => {
  const found = world.channels.get(id)
  if (!found || !big) throw new Error('seed is missing the big guild')
  return found
}
const can = (userId: string, channelId: string, bit: bigint) =>
  big ? hasPermission(channelPermissions(big, channel(channelId), userId), bit) : false

describe('permissions come from roles and overwrites', () => {
  test('a bot sees and writes in general, sees but cannot write in the read-only channel', () => {
    const alpha = world.bots.alpha.user.id
    expect(can(alpha, ids.generalChannel, Permission.SendMessages)).toBe(true)
    expect(can(alpha, ids.readOnlyChannel, Permission.ViewChannel)).toBe(true)
    expect(can(alpha, ids.readOnlyChannel, Permission.SendMessages)).toBe(false)
  })

  test('the hidden channel denies @everyone, a role overwrite lets moderators in, the owner sees all', () => {
    const moderator = [...(big?.members.values() ?? [])].find(
      (m) => m.roles.includes(ids.moderatorRole) && m.userId !== ids.ownerUser,
    )
    expect(can(world.bots.alpha.user.id, ids.hiddenChannel, Permission.ViewChannel)).toBe(false)
    expect(can(ids.humanUser, ids.hiddenChannel, Permission.ViewChannel)).toBe(false)
    expect(moderator && can(moderator.userId, ids.hiddenChannel, Permission.ViewChannel)).toBe(true)
    expect(can(ids.ownerUser, ids.hiddenChannel, Permission.Administrator)).toBe(true)
  })

  test('without View Channel no other permission applies', () => {
    expect(can(world.bots.alpha.user.id, ids.hiddenChannel, Permission.SendMessages)).toBe(false)
  })
})
