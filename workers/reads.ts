import type { Client } from 'discord.js'
import { Routes, type APIGuildMember, type APIMessage } from 'discord-api-types/v10'
import type { Page } from '../src/contract.ts'
import type { MemberPages } from './member-pages.ts'
import type { MessageCache } from './message-cache.ts'
import { toMember, toMessage } from './shapes.ts'

// Discord's page limits (members: 1 000 per page by `after`; messages: 100 per page by `before`).
const DISCORD_MEMBER_PAGE = 1000
const DISCORD_MESSAGE_PAGE = 100

/**
 * Fetches up to `limit` items in Discord-sized pages, following the cursor, and serializes them once.
 * Each request asks one item past what is still needed when Discord's page size allows (as Stripe's has_more
 * does), so a page that comes back exactly full is known to be the last; when the items end on Discord's page
 * size, one more request of one item tells. The next cursor is set only when more items exist.
 */
async function pageThrough<Item extends { id: string }>(
  limit: number,
  pageSize: number,
  cursor: string | null,
  fetchPage: (size: number, cursor: string | null) => Promise<Item[]>,
  toOutput: (item: Item) => unknown,
): Promise<Page & { items: Item[] }> {
  const collected: Item[] = []
  let more = false
  for (;;) {
    const wanted = limit - collected.length
    const size = Math.min(pageSize, wanted + 1)
    const page = await fetchPage(size, cursor)
    if (page.length > wanted) {
      collected.push(...page.slice(0, wanted))
      more = true
      break
    }
    collected.push(...page)
    const last = page.at(-1)
    if (page.length < size || !last) break
    cursor = last.id
  }
  const nextCursor = more ? (collected.at(-1)?.id ?? null) : null
  return { body: JSON.stringify(collected.map(toOutput)), nextCursor, items: collected }
}

const pageQuery = (size: number, cursorName: string, cursor: string | null) =>
  new URLSearchParams({ limit: String(size), ...(cursor ? { [cursorName]: cursor } : {}) })

/**
 * A page of a guild's members from Discord's REST, never into discord.js's caches. `pages` (kept true by the
 * GuildMembers intent's events) says how long the gateway may keep it.
 */
export async function listMembers(
  client: Client<true>,
  pages: MemberPages,
  guildId: string,
  limit: number,
  after: string | null,
): Promise<Page> {
  const fetchPage = () =>
    pageThrough<APIGuildMember & { id: string }>(
      limit,
      DISCORD_MEMBER_PAGE,
      after,
      async (size, cursor) => {
        const query = pageQuery(size, 'after', cursor)
        const page = (await client.rest.get(Routes.guildMembers(guildId), { query })) as APIGuildMember[]
        return page.map((member) => ({ ...member, id: member.user.id }))
      },
      toMember,
    )
  const { page, freshForMs } = await pages.read(guildId, fetchPage)
  return { body: page.body, nextCursor: page.nextCursor, freshForMs }
}

/** The newest messages come from the cache when it can answer; older pages always from Discord. */
export async function listMessages(
  client: Client<true>,
  cache: MessageCache | null,
  channelId: string,
  limit: number,
  before: string | null,
): Promise<Page> {
  const newest = before === null
  const cached = newest ? cache?.read(channelId, limit) : undefined
  if (cached) return cached
  const page = await pageThrough(
    limit,
    DISCORD_MESSAGE_PAGE,
    before,
    async (size, cursor) =>
      (await client.rest.get(Routes.channelMessages(channelId), {
        query: pageQuery(size, 'before', cursor),
      })) as APIMessage[],
    toMessage,
  )
  if (newest && cache) {
    const channel = client.channels.cache.get(channelId)
    const guildId = channel && 'guildId' in channel ? channel.guildId : null
    cache.fill(channelId, guildId, page.items, page.nextCursor === null)
    // answered from the cache now, so the reply says how long the gateway may keep it
    const filled = cache.read(channelId, limit)
    if (filled) return filled
  }
  return { body: page.body, nextCursor: page.nextCursor }
}
