import { Events, type Client } from 'discord.js'
import { GatewayDispatchEvents, type GatewayDispatchPayload } from 'discord-api-types/v10'
import { subscribe, subscribeRaw, unsubscribeAll } from './subscribe.ts'

/** How long the gateway may keep a member page: a backstop on staleness should an event be missed. */
export const MEMBER_PAGE_TTL_MS = 60_000

/** A member read under way: a change to its guild before it ends means its page is already old. */
type Read = { guildId: string; changed: boolean }

export type MemberPages = ReturnType<typeof createMemberPages>

/**
 * Which guilds' member pages the gateway keeps, so their changes reach it. The pages themselves (a 1 000-member
 * page is ~200 KB) live only in the gateway: the worker holds no body, only which guilds were read and until when.
 * Only with the GuildMembers intent, whose GUILD_MEMBER_* events tell every change Discord's list would show.
 */
export function createMemberPages(onChange: (guildId: string | null) => void, now: () => number = Date.now) {
  const keptUntil = new Map<string, number>()
  const reads = new Set<Read>()

  return {
    /** Runs a read of the guild's members: how long its page may be kept (0 when the guild changed meanwhile). */
    async read<Page>(guildId: string, fetchPage: () => Promise<Page>): Promise<{ page: Page; freshForMs: number }> {
      const read: Read = { guildId, changed: false }
      reads.add(read)
      try {
        const page = await fetchPage()
        if (read.changed) return { page, freshForMs: 0 }
        keptUntil.set(guildId, now() + MEMBER_PAGE_TTL_MS)
        return { page, freshForMs: MEMBER_PAGE_TTL_MS }
      } finally {
        reads.delete(read)
      }
    },
    /** A member of the guild joined, left or changed (or the guild's roles did): its pages are old. */
    changed(guildId: string) {
      for (const read of reads) if (read.guildId === guildId) read.changed = true
      const until = keptUntil.get(guildId)
      if (until === undefined) return
      keptUntil.delete(guildId)
      if (until > now()) onChange(guildId)
    },
    /** A new gateway session: the events of the gap are lost, so no page can be trusted. */
    clear() {
      for (const read of reads) read.changed = true
      keptUntil.clear()
      onChange(null)
    },
    kept: () => keptUntil.size,
  }
}

/** Feeds the member pages' freshness from the raw gateway dispatches (no discord.js structures built). */
export function feedMemberPages(client: Client<true>, pages: MemberPages): () => void {
  const onRaw = (packet: GatewayDispatchPayload) => {
    switch (packet.t) {
      case GatewayDispatchEvents.GuildMemberAdd:
      case GatewayDispatchEvents.GuildMemberUpdate:
      case GatewayDispatchEvents.GuildMemberRemove:
      // a deleted role leaves every member's `roles` without it, with no GUILD_MEMBER_UPDATE
      case GatewayDispatchEvents.GuildRoleDelete:
        return pages.changed(packet.d.guild_id)
      case GatewayDispatchEvents.GuildCreate:
      case GatewayDispatchEvents.GuildDelete:
        return pages.changed(packet.d.id)
      default:
        return
    }
  }
  return unsubscribeAll([
    subscribeRaw(client, onRaw),
    // READY (not RESUMED) starts a new session: the events of the gap are gone
    subscribe(client, Events.ShardReady, () => pages.clear()),
  ])
}
