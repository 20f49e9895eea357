import type { Client, GuildBasedChannel } from 'discord.js'
import { Hono, type Context } from 'hono'
import { createClient, loginUntilReady } from '../../workers/client.ts'
import { toChannel } from '../../workers/shapes.ts'
import { toMessage } from './shapes.ts'

/**
 * The naive design the project is measured against: every bot's discord.js Client lives in the HTTP thread (no
 * workers, no isolation), and each request reads the client's cache or calls discord.js, then serializes with
 * c.json(). Same lean client options and shapes as the project's workers, so only the design differs.
 */
export function createNaiveApp(settings: { apiUrl: string; intents: number; requestDeadlineMs: number }) {
  const clients = new Map<string, Client<true>>() // session id → its bot's client
  const app = new Hono()

  const clientOf = (c: Context): Client<true> => {
    const client = clients.get(c.req.header('authorization') ?? '')
    if (!client) throw new NaiveError(401, 'unknown session')
    return client
  }
  const textChannel = (client: Client<true>, channelId: string | undefined) => {
    const channel = client.channels.cache.get(channelId ?? '')
    if (!channel?.isTextBased() || !('send' in channel)) throw new NaiveError(404, 'unknown channel')
    return channel
  }

  app.post('/api/auth/login', async (c) => {
    const { token } = await c.req.json<{ token: string }>()
    const client = createClient(settings)
    const outcome = await loginUntilReady(client, token, 15_000)
    if (outcome.kind !== 'ready') {
      await client.destroy()
      throw new NaiveError(502, `login failed: ${outcome.kind}`)
    }
    const sessionId = crypto.randomUUID()
    clients.set(sessionId, outcome.client)
    return c.json({ sessionId })
  })

  app.get('/api/channels', (c) => {
    const guild = clientOf(c).guilds.cache.get(c.req.query('guildId') ?? '')
    if (!guild) throw new NaiveError(404, 'unknown guild')
    const channels: GuildBasedChannel[] = [...guild.channels.cache.values()]
    channels.sort((a, b) => ('position' in a ? a.position : 0) - ('position' in b ? b.position : 0))
    return c.json(channels.map(toChannel))
  })

  app.get('/api/messages', async (c) => {
    const channel = textChannel(clientOf(c), c.req.query('channelId'))
    const limit = Math.min(100, Math.max(1, Number(c.req.query('limit') ?? 50) || 50))
    const messages = await channel.messages.fetch({ limit })
    return c.json([...messages.values()].map(toMessage))
  })

  app.post('/api/messages', async (c) => {
    const { channelId, content } = await c.req.json<{ channelId: string; content: string }>()
    const sent = await textChannel(clientOf(c), channelId).send(content)
    return c.json(toMessage(sent), 201)
  })

  app.onError((err, c) => {
    const status = err instanceof NaiveError ? err.status : 500
    return c.json({ error: err.message }, status as 401)
  })

  return { app, stop: () => Promise.all([...clients.values()].map((client) => client.destroy())) }
}

class NaiveError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}
