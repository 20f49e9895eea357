import type { Client } from 'discord.js'
import type { FakeDiscord } from '../../fake-discord/index.ts'
import { createClient, loginUntilReady } from '../../workers/client.ts'

/** alpha's discord.js client as a worker creates it, `prepare`d before login, then logged in to READY. */
export async function loggedInClient(
  discord: FakeDiscord,
  intents: number,
  prepare: (client: Client) => void = () => {},
): Promise<Client<true>> {
  const created = createClient({ apiUrl: discord.apiUrl, intents, requestDeadlineMs: 5_000 })
  prepare(created)
  const outcome = await loginUntilReady(created, discord.tokens.alpha, 15_000)
  if (outcome.kind !== 'ready') throw new Error(`login: ${outcome.kind}`)
  return outcome.client
}
