import type { Client } from 'discord.js'
import { Routes, type APIGuildMember, type APIMessage } from 'discord-api-types/v10'
import type { JsonText, NewMessage, Page } from '../src/contract.ts'
import { toMember, toMessage } from './shapes.ts'

// Discord's page limits (members: 1 000 per page by `after`; messages: 100 per page by `before`).
const DISCORD_MEMBER_PAGE = 1000
const DISCORD_MESSAGE_PAGE = 100

/**
 * Fetches up to `limit` items in Discord-sized pages, following the cursor, and serializes them once.
 * The next cursor is the last item's id when the page came back full (there may be more).
 */
async function pageThrough<Item extends { id: string }>(
  limit: number,
  pageSize: number,
  cursor: string | null,
  fetchPage: (size: number, cursor: string | null) => Promise<Item[]>,
  toOutput: (item: Item) => unknown,
): Promise<Page> {
  const collected: Item[] = []
  while (collected.length < limit) {
    const size = Math.min(pageSize, limit - collected.length)
    const page = await fetchPage(size, cursor)
    collected.push(...page)
    const last = page.at(-1)
    if (page.length < size || !last) break
    cursor = last.id
  }
  const nextCursor = collected.length === limit ? (collected.at(-1)?.id ?? null) : null
  return { body: JSON.stringify(collected.map(toOutput)), nextCursor }
}

const pageQuery = (size: number, cursorName: string, cursor: string | null) =>
  new URLSearchParams({ limit: String(size), ...(cursor ? { [cursorName]: cursor } : {}) })

/** Members and messages come straight from Discord's REST, page by page, never into discord.js's caches. */
export function listMembers(client: Client<true>, guildId: string, limit: number, after: string | null): Promise<Page> {
  return pageThrough<APIGuildMember & { id: string }>(
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
}

export function listMessages(client: Client<true>, channelId: string, limit: number, before: string | null): Promise<Page> {
  return pageThrough(
    limit,
    DISCORD_MESSAGE_PAGE,
    before,
    async (size, cursor) =>
      (await client.rest.get(Routes.channelMessages(channelId), { query: pageQuery(size, 'before', cursor) })) as APIMessage[],
    toMessage,
  )
}

export async function sendMessage(client: Client<true>, { channelId, content }: NewMessage): Promise<JsonText> {
  const sent = (await client.rest.post(Routes.channelMessages(channelId), { body: { content } })) as APIMessage
  return JSON.stringify(toMessage(sent))
}
