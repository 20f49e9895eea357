import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Client, Message } from 'discord.js'
import { startFakeDiscord, type FakeDiscord } from '../../fake-discord/index.ts'
import { createNonceBook, NONCE_WINDOW_MS } from '../../fake-discord/rest/nonces.ts'
import { snowflakeAt } from '../../fake-discord/snowflake.ts'
import type { MessageRecord, WorldState } from '../../fake-discord/world/types.ts'
import { api, createClient, loginReady, waitFor } from './test-support.ts'

let fake: FakeDiscord
let watcher: Client<true>
const created: Message[] = []
beforeAll(async () => {
  fake = await startFakeDiscord({ port: 0 })
  // beta watches the channel alpha writes in: every MESSAGE_CREATE the fake dispatches lands here
  watcher = await loginReady(createClient(fake), fake.tokens.beta)
  watcher.on('messageCreate', (message) => created.push(message))
})
afterAll(async () => {
  await watcher.destroy()
  await fake.stop()
})

const channelPath = () => `/channels/${fake.world.ids.generalChannel}/messages`
const countIn = (content: string) =>
  fake.world.messagesOf(fake.world.ids.generalChannel).filter((m) => m.content === content).length

/** Every MESSAGE_CREATE for `content` dispatched so far: a marker posted after it arrives after them all. */
async function dispatchedFor(content: string): Promise<number> {
  const marker = fake.control.postMessage({ channelId: fake.world.ids.generalChannel, content: `marker ${content}` })
  await waitFor(() => created.some((message) => message.id === marker.id), { what: 'the marker' })
  return created.filter((message) => message.content === content).length
}

describe('enforce_nonce, as Discord documents it', () => {
  test('the same author and nonce again returns the first message: 200, same id, nothing created or dispatched', async () => {
    const body = { content: 'exactly once', nonce: 'nonce-exactly-once', enforce_nonce: true }
    const first = await api(fake, fake.tokens.alpha, 'POST', channelPath(), body)
    const again = await api(fake, fake.tokens.alpha, 'POST', channelPath(), body)
    expect(first.status).toBe(200)
    expect(again.status).toBe(200)
    expect(again.json.id).toBe(first.json.id)
    expect(again.json.nonce).toBe('nonce-exactly-once')
    expect(countIn('exactly once')).toBe(1)
    expect(await dispatchedFor('exactly once')).toBe(1)
  })

  test('a nonce is matched by value: 42 and "42" are one nonce', async () => {
    const first = await api(fake, fake.tokens.alpha, 'POST', channelPath(), {
      content: 'by value',
      nonce: 42,
      enforce_nonce: true,
    })
    const again = await api(fake, fake.tokens.alpha, 'POST', channelPath(), {
      content: 'by value',
      nonce: '42',
      enforce_nonce: true,
    })
    expect(again.json.id).toBe(first.json.id)
  })

  test('without enforce_nonce, or from another author, the same nonce creates another message', async () => {
    const body = { content: 'not enforced', nonce: 'nonce-loose' }
    const first = await api(fake, fake.tokens.alpha, 'POST', channelPath(), body)
    const second = await api(fake, fake.tokens.alpha, 'POST', channelPath(), body)
    expect(second.json.id).not.toBe(first.json.id)
    const enforced = { content: 'two authors', nonce: 'nonce-two-authors', enforce_nonce: true }
    const byAlpha = await api(fake, fake.tokens.alpha, 'POST', channelPath(), enforced)
    const byBeta = await api(fake, fake.tokens.beta, 'POST', channelPath(), enforced)
    expect(byBeta.status).toBe(200)
    expect(byBeta.json.id).not.toBe(byAlpha.json.id)
    expect(countIn('two authors')).toBe(2)
  })

  test('a bad nonce or enforce_nonce is 400 Invalid Form Body (50035) naming the field', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ nonce: 'x'.repeat(26) }, 'nonce'],
      [{ nonce: 1.5 }, 'nonce'],
      [{ nonce: { a: 1 } }, 'nonce'],
      [{ nonce: true }, 'nonce'],
      [{ nonce: 'fine', enforce_nonce: 'yes' }, 'enforce_nonce'],
    ]
    for (const [fields, field] of bad) {
      const reply = await api(fake, fake.tokens.alpha, 'POST', channelPath(), { content: 'bad nonce', ...fields })
      expect(reply.status).toBe(400)
      expect(reply.json.code).toBe(50035)
      expect(Object.keys(reply.json.errors)).toEqual([field])
    }
    expect(countIn('bad nonce')).toBe(0)
    const longest = await api(fake, fake.tokens.alpha, 'POST', channelPath(), {
      content: 'ok nonce',
      nonce: 'y'.repeat(25),
      enforce_nonce: true,
    })
    expect(longest.status).toBe(200)
  })

  test('with a slow answer the message exists at once: a retry while the first answer is late finds it', async () => {
    fake.control.failRest({ bot: 'alpha', route: 'POST /channels/:id/messages', delayMs: 600_000, count: 1 })
    const body = { content: 'slow answer', nonce: 'nonce-slow-answer', enforce_nonce: true }
    const giveUp = new AbortController()
    const slow = fetch(`${fake.apiUrl}/v10${channelPath()}`, {
      method: 'POST',
      signal: giveUp.signal,
      body: JSON.stringify(body),
      headers: { authorization: `Bot ${fake.tokens.alpha}`, 'content-type': 'application/json' },
    }).then(
      () => 'answered',
      (err: Error) => err.name,
    )
    try {
      await waitFor(() => countIn('slow answer') === 1, { what: 'the first request to take effect' })
      const retry = await api(fake, fake.tokens.alpha, 'POST', channelPath(), body)
      expect(retry.status).toBe(200)
      expect(retry.json.id).toBe(
        fake.world.messagesOf(fake.world.ids.generalChannel).find((m) => m.content === 'slow answer')?.id,
      )
      expect(countIn('slow answer')).toBe(1)
    } finally {
      giveUp.abort()
      fake.control.clearFaults()
    }
    expect(await slow).toBe('AbortError')
  })
})

describe('the nonce book', () => {
  const message = (id: string, nonce: string): MessageRecord => ({
    id,
    channelId: 'c',
    guildId: 'g',
    authorId: 'a',
    content: 'x',
    embeds: [],
    editedTimestamp: null,
    nonce,
    allowedMentions: null,
    reactions: new Map(),
  })
  const worldWith = (...messages: MessageRecord[]) => ({ messagesOf: () => messages }) as unknown as WorldState

  test('forgets a nonce once the window has passed, and a deleted message is not returned', () => {
    let now = 1_700_000_000_000
    const book = createNonceBook(() => now)
    const kept = message(snowflakeAt(now, 0), 'n1')
    book.remember(kept)
    expect(book.find(worldWith(kept), 'a', 'n1')).toBe(kept)
    expect(book.find(worldWith(), 'a', 'n1')).toBeUndefined()
    now += NONCE_WINDOW_MS + 1
    expect(book.find(worldWith(kept), 'a', 'n1')).toBeUndefined()
  })
})
