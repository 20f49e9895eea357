import { Client, GatewayIntentBits, type ClientOptions } from 'discord.js'
import type { FakeDiscord } from '../../fake-discord/index.ts'

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 5_000, what = 'condition' }: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await Bun.sleep(10)
  }
}

export const ALL_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMembers,
  GatewayIntentBits.GuildPresences,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.GuildMessageReactions,
  GatewayIntentBits.MessageContent,
]
export const UNPRIVILEGED_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.GuildMessageReactions,
]

/** An unmodified discord.js Client pointed at the fake by options alone. */
export function createClient(
  fake: FakeDiscord,
  intents: number[] = ALL_INTENTS,
  extra: Partial<ClientOptions> = {},
): Client {
  return new Client({ intents, rest: { api: fake.apiUrl }, ...extra })
}

/** Logs in and waits for `clientReady` (login resolves on READY, before the GUILD_CREATEs are in). */
export async function loginReady(client: Client, token: string): Promise<Client<true>> {
  const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()))
  await client.login(token)
  await ready
  return client as Client<true>
}

export interface ApiReply<T = any> {
  status: number
  headers: Headers
  json: T
}

/** A plain fetch against the fake's REST API, v10. */
export async function api<T = any>(
  fake: FakeDiscord,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiReply<T>> {
  const headers: Record<string, string> = {}
  if (token !== null) headers.authorization = `Bot ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${fake.apiUrl}/v10${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, json: text === '' ? undefined : JSON.parse(text) }
}
