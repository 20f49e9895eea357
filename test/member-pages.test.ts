import { describe, expect, test } from 'bun:test'
import type { Page } from '../src/contract.ts'
import { createBotCache, type MemberQuery } from '../src/pool/bot-cache.ts'
import { createMemberPages, MEMBER_PAGE_TTL_MS } from '../workers/member-pages.ts'

const GUILD = '100000000000000001'
const OTHER_GUILD = '100000000000000002'
const page = (body: string): Page => ({ body, nextCursor: null })
const query = (limit: number, guildId = GUILD, after: string | null = null): MemberQuery => ({ guildId, limit, after })

/** The worker's side of a test: its member pages, the pushes they sent, and a clock the test moves. */
function workerPages() {
  const pushes: (string | null)[] = []
  let clock = 1_000
  const pages = createMemberPages(
    (guildId) => pushes.push(guildId),
    () => clock,
  )
  return { pages, pushes, advance: (ms: number) => (clock += ms) }
}

describe("the worker's member pages", () => {
  test('a page read may be kept for the TTL; a change to its guild is pushed once, and only while kept', async () => {
    const { pages, pushes, advance } = workerPages()
    const read = await pages.read(GUILD, async () => page('[1]'))
    expect(read).toEqual({ page: page('[1]'), freshForMs: MEMBER_PAGE_TTL_MS })

    pages.changed(OTHER_GUILD) // never read: nothing to tell
    expect(pushes).toEqual([])
    pages.changed(GUILD)
    pages.changed(GUILD)
    expect(pushes).toEqual([GUILD])

    await pages.read(GUILD, async () => page('[2]'))
    advance(MEMBER_PAGE_TTL_MS + 1) // the gateway dropped it on its own
    pages.changed(GUILD)
    expect(pushes).toEqual([GUILD])
    expect(pages.kept()).toBe(0)
  })

  test('a change while the page is read from Discord makes that page not to be kept', async () => {
    const { pages } = workerPages()
    const { promise: discordAnswers, resolve } = Promise.withResolvers<Page>()
    const reading = pages.read(GUILD, () => discordAnswers)
    pages.changed(GUILD) // GUILD_MEMBER_ADD arrives before Discord's REST answer
    resolve(page('[stale]'))
    expect((await reading).freshForMs).toBe(0)

    const other = pages.read(OTHER_GUILD, () => discordAnswers)
    pages.changed(GUILD) // another guild's change is not this read's
    expect((await other).freshForMs).toBe(MEMBER_PAGE_TTL_MS)
  })

  test('a new gateway session tells the gateway to drop every page, and spoils reads under way', async () => {
    const { pages, pushes } = workerPages()
    const { promise: discordAnswers, resolve } = Promise.withResolvers<Page>()
    const reading = pages.read(GUILD, () => discordAnswers)
    pages.clear()
    resolve(page('[]'))
    expect((await reading).freshForMs).toBe(0)
    expect(pushes).toEqual([null])
  })

  test('a failed read keeps nothing and leaves nothing under way', async () => {
    const { pages, pushes } = workerPages()
    await expect(pages.read(GUILD, () => Promise.reject(new Error('Discord 503')))).rejects.toThrow('Discord 503')
    pages.changed(GUILD)
    expect(pushes).toEqual([])
    expect(pages.kept()).toBe(0)
  })
})

describe("the gateway's member pages", () => {
  test('a page the worker allowed is answered again, per guild, limit and cursor, until its guild changes', () => {
    const cache = createBotCache()
    cache.keepMembers(query(10), { ...page('[10]'), freshForMs: 60_000 })
    cache.keepMembers(query(10, GUILD, '5'), { ...page('[after 5]'), freshForMs: 60_000 })
    cache.keepMembers(query(10, OTHER_GUILD), { ...page('[other]'), freshForMs: 60_000 })
    expect(cache.members(query(10))?.body).toBe('[10]')
    expect(cache.members(query(10, GUILD, '5'))?.body).toBe('[after 5]')
    expect(cache.members(query(11))).toBeNull()

    cache.apply({ botvisor: 'members', guildId: GUILD })
    expect(cache.members(query(10))).toBeNull()
    expect(cache.members(query(10, GUILD, '5'))).toBeNull()
    expect(cache.members(query(10, OTHER_GUILD))?.body).toBe('[other]')
    cache.apply({ botvisor: 'members', guildId: null })
    expect(cache.members(query(10, OTHER_GUILD))).toBeNull()
  })

  test('pages the worker did not allow, or allowed for no time, are not kept', () => {
    const cache = createBotCache()
    cache.keepMembers(query(10), page('[no freshness]'))
    cache.keepMembers(query(20), { ...page('[changed meanwhile]'), freshForMs: 0 })
    expect(cache.members(query(10))).toBeNull()
    expect(cache.members(query(20))).toBeNull()
  })

  test('a kept page expires, and a bot keeps at most 4, the least recently kept going first', () => {
    const cache = createBotCache()
    cache.keepMembers(query(1), { ...page('[short]'), freshForMs: 1 })
    Bun.sleepSync(2)
    expect(cache.members(query(1))).toBeNull()

    for (let limit = 1; limit <= 5; limit++)
      cache.keepMembers(query(limit), { ...page(`[${limit}]`), freshForMs: 60_000 })
    expect(cache.members(query(1))).toBeNull()
    expect([2, 3, 4, 5].map((limit) => cache.members(query(limit))?.body)).toEqual(['[2]', '[3]', '[4]', '[5]'])
  })
})
