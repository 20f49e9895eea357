import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { startStack, type Stack } from './support/stack.ts'

let stack: Stack
let sessionId: string
beforeAll(async () => {
  stack = await startStack()
  sessionId = (await stack.login(stack.discord.tokens.beta)).sessionId
})
afterAll(() => stack.stop())

const channelId = () => stack.discord.world.ids.smallGeneralChannel
const discordCalls = () => Object.values(stack.discord.counters().rest.beta ?? {}).reduce((sum, n) => sum + (n ?? 0), 0)
const MESSAGE = '1000000000000000001'
const long = (n: number, unit = 'x') => unit.repeat(n)
const field = { name: 'n', value: 'v' }

/** [what is wrong, method, path, body, the start of the error that names it] */
type BadInput = [string, string, string, unknown, string]
const send = (what: string, body: Record<string, unknown>, error: string): BadInput => [
  what,
  'POST',
  '/api/messages',
  { channelId: channelId(), ...body },
  error,
]
const embed = (what: string, value: Record<string, unknown>, error: string): BadInput =>
  send(what, { embeds: [value] }, error)

const badInputs = (): BadInput[] => [
  send('neither content nor embeds', {}, 'send content or at least one embed'),
  send('empty content', { content: '' }, 'content: content must not be empty'),
  send(
    'content over 2000 code points',
    { content: long(2001, '😀') },
    'content: content must be 2000 characters or fewer',
  ),
  send('no embed in the list', { embeds: [] }, 'send content or at least one embed'),
  send('11 embeds', { embeds: Array(11).fill({ title: 't' }) }, 'embeds: at most 10 embeds'),
  embed('an empty embed', {}, 'embeds[0]: an embed needs a title'),
  embed('a title over 256', { title: long(257) }, 'embeds[0].title: must be 256 characters or fewer'),
  embed('a description over 4096', { description: long(4097) }, 'embeds[0].description: must be 4096'),
  embed('26 fields', { fields: Array(26).fill(field) }, 'embeds[0].fields: at most 25 fields'),
  embed('a field name over 256', { fields: [field, { name: long(257), value: 'v' }] }, 'embeds[0].fields[1].name:'),
  embed('a field value over 1024', { fields: [{ name: 'n', value: long(1025) }] }, 'embeds[0].fields[0].value:'),
  embed('a field without a value', { fields: [{ name: 'n' }] }, 'embeds[0].fields[0].value:'),
  embed('a footer over 2048', { footer: { text: long(2049) } }, 'embeds[0].footer.text: must be 2048'),
  embed('an author name over 256', { author: { name: long(257) } }, 'embeds[0].author.name: must be 256'),
  embed(
    'snake_case where the API is camelCase',
    { footer: { text: 'f', icon_url: 'https://x.io/a.png' } },
    'embeds[0].footer: Unrecognized key',
  ),
  embed('a color past 0xFFFFFF', { title: 't', color: 0x1000000 }, 'embeds[0].color: must be 0 to 16777215'),
  embed(
    'a URL that is not http(s)',
    { title: 't', image: { url: 'ftp://x.io/a.png' } },
    'embeds[0].image.url: must be an http(s) URL',
  ),
  embed(
    'a timestamp that is not ISO 8601',
    { title: 't', timestamp: 'yesterday' },
    'embeds[0].timestamp: must be an ISO 8601',
  ),
  send(
    '6001 characters across the embeds',
    { embeds: [{ description: long(4000) }, { description: long(2000), title: 'x' }] },
    'embeds: 6001 characters across the embeds; Discord allows 6000',
  ),
  send('replyTo not a snowflake', { content: 'hi', replyTo: 'last' }, 'replyTo: must be a Discord snowflake'),
  send('an unknown field', { content: 'hi', reply_to: MESSAGE }, 'Unrecognized key: "reply_to"'),
  send(
    'parse ["users"] with users',
    { content: 'hi', allowedMentions: { parse: ['users'], users: [MESSAGE] } },
    'allowedMentions.users: cannot be given with parse ["users"]',
  ),
  send(
    'parse ["roles"] with roles',
    { content: 'hi', allowedMentions: { parse: ['roles'], roles: [MESSAGE] } },
    'allowedMentions.roles: cannot be given with parse ["roles"]',
  ),
  send(
    'a mention kind Discord lacks',
    { content: 'hi', allowedMentions: { parse: ['here'] } },
    'allowedMentions.parse[0]:',
  ),
  send(
    'a user id that is not a snowflake',
    { content: 'hi', allowedMentions: { users: ['me'] } },
    'allowedMentions.users[0]: must be a Discord snowflake',
  ),
  send(
    'repliedUser not a boolean',
    { content: 'hi', allowedMentions: { repliedUser: 'yes' } },
    'allowedMentions.repliedUser:',
  ),
  [
    'an edit of nothing',
    'PATCH',
    `/api/messages/${MESSAGE}`,
    { channelId: channelId() },
    'send content, embeds or both',
  ],
  ['an edit without channelId', 'PATCH', `/api/messages/${MESSAGE}`, { content: 'x' }, 'channelId:'],
  [
    'an edit of a messageId that is not one',
    'PATCH',
    '/api/messages/latest',
    { channelId: channelId(), content: 'x' },
    'messageId: must be a Discord snowflake',
  ],
  [
    'an edit with a bad embed',
    'PATCH',
    `/api/messages/${MESSAGE}`,
    { channelId: channelId(), embeds: [{ title: long(257) }] },
    'embeds[0].title:',
  ],
  ['a delete without channelId', 'DELETE', `/api/messages/${MESSAGE}`, undefined, 'channelId:'],
  [
    'a delete with a channelId that is not one',
    'DELETE',
    `/api/messages/${MESSAGE}?channelId=general`,
    undefined,
    'channelId: must be a Discord snowflake',
  ],
  [
    'a reaction that is text',
    'PUT',
    `/api/messages/${MESSAGE}/reactions/thumbsup?channelId=${channelId()}`,
    undefined,
    'emoji: emoji must be one unicode emoji or a custom emoji as name:id',
  ],
  [
    'two emoji at once',
    'PUT',
    `/api/messages/${MESSAGE}/reactions/${encodeURIComponent('👍👍')}?channelId=${channelId()}`,
    undefined,
    'emoji: emoji must be one',
  ],
  [
    'a custom emoji without its id',
    'DELETE',
    `/api/messages/${MESSAGE}/reactions/${encodeURIComponent('party:')}?channelId=${channelId()}`,
    undefined,
    'emoji: emoji must be one',
  ],
  [
    'a reaction without channelId',
    'PUT',
    `/api/messages/${MESSAGE}/reactions/${encodeURIComponent('👍')}`,
    undefined,
    'channelId:',
  ],
  [
    'typing in a channelId that is not one',
    'POST',
    '/api/channels/general/typing',
    undefined,
    'channelId: must be a Discord snowflake',
  ],
]

describe('every bad input is refused before Discord, naming the problem', () => {
  test('each bad field is a 400 whose error names it, and Discord is never called', async () => {
    const before = discordCalls()
    for (const [what, method, path, body, error] of badInputs()) {
      const reply = await stack.request(method, path, { sessionId, body })
      expect({ what, status: reply.status, code: reply.json.code }).toEqual({ what, status: 400, code: 'bad_request' })
      expect({ what, named: String(reply.json.error).startsWith(error), error: reply.json.error }).toMatchObject({
        what,
        named: true,
      })
    }
    expect(discordCalls()).toBe(before)
  })

  test('a body over BODY_LIMIT_BYTES is 413, and Discord is never called', async () => {
    const before = discordCalls()
    const reply = await stack.request('POST', '/api/messages', {
      sessionId,
      body: { channelId: channelId(), content: 'x', embeds: [{ description: long(70_000) }] },
    })
    expect(reply.status).toBe(413)
    expect(reply.json).toEqual({ code: 'payload_too_large', error: 'Body larger than 65536 bytes' })
    expect(discordCalls()).toBe(before)
  })

  test('6000 characters across the embeds, counted in code points, is within the limit', async () => {
    const reply = await stack.request('POST', '/api/messages', {
      sessionId,
      body: { channelId: channelId(), embeds: [{ description: long(4000, '😀') }, { description: long(2000) }] },
    })
    expect(reply.status).toBe(201)
  })
})

// Mostly short strings, sometimes right at a limit or one past it; in ASCII or in characters outside the BMP
// (two UTF-16 units, one code point), so both ways of counting are tried against Discord's.
const length = (max: number) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 1, max: 20 }) },
    { weight: 1, arbitrary: fc.constantFrom(0, max - 1, max, max + 1) },
  )
const text = (max: number) => fc.tuple(length(max), fc.constantFrom('a', '😀')).map(([n, unit]) => unit.repeat(n))
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined })
const randomEmbed = fc
  .record(
    {
      title: optional(text(256)),
      description: optional(fc.oneof(text(4096), text(2000))),
      footer: optional(fc.record({ text: text(2048) })),
      author: optional(fc.record({ name: text(256) })),
      fields: optional(fc.array(fc.record({ name: text(256), value: text(1024) }), { maxLength: 26, size: 'xsmall' })),
    },
    { requiredKeys: [] },
  )
  .map((embed) => Object.fromEntries(Object.entries(embed).filter(([, value]) => value !== undefined)))

describe('our checks and Discord’s agree', () => {
  test('random embeds: what we accept Discord accepts, and what Discord would refuse we refuse first (never a 5xx)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(randomEmbed, { minLength: 1, maxLength: 11, size: 'xsmall' }), async (embeds) => {
        const reply = await stack.request('POST', '/api/messages', {
          sessionId,
          body: { channelId: channelId(), embeds },
        })
        expect([201, 400, 413]).toContain(reply.status)
        // a 400 of ours names a field; "Discord rejected" would mean our check let through what Discord refuses
        if (reply.status === 400) expect(reply.json.error).not.toStartWith('Discord rejected')
      }),
      { numRuns: 300 },
    )
  })
})
