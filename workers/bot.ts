import type { Client } from 'discord.js'
import { Routes, type APIGuildMember, type APIMessage } from 'discord-api-types/v10'
import type { BotIdentity, BotStartOptions, BotWorkerApi, Page, RpcResult, TestFault, WorkerPush } from '../src/contract.ts'
import { PRIVILEGED_INTENTS, withoutPrivileged } from '../src/intents.ts'
import { createClient, loginUntilReady } from './client.ts'
import { failure, guarded, toFailure } from './failures.ts'
import { pushCaches, serializeChannels, serializeGuilds } from './push.ts'
import { toMember, toMessage } from './shapes.ts'

const DISCORD_MEMBER_PAGE = 1000
const DISCORD_MESSAGE_PAGE = 100

const missingIntent = (name: string) =>
  failure(403, 0, `The bot's application does not have the privileged ${name} intent enabled`)

/** Everything one worker does for its bot. One discord.js client, created by start(). */
export function createBotApi(push: (message: WorkerPush) => void): BotWorkerApi {
  let client: Client<true> | undefined
  let stopPushing: (() => void) | undefined
  let options: BotStartOptions | undefined
  let granted = 0

  const requireClient = (): Client<true> => {
    if (!client) throw new Error('bot not started')
    return client
  }
  const has = (bit: number) => (granted & bit) === bit

  async function login(start: BotStartOptions, intents: number) {
    const fresh = createClient({ ...start, intents })
    const outcome = await loginUntilReady(fresh, start.token, start.loginTimeoutMs).catch(async (err: unknown) => {
      await fresh.destroy()
      throw err
    })
    if (outcome.kind !== 'ready') await fresh.destroy()
    return outcome
  }

  async function start(start: BotStartOptions): Promise<RpcResult<BotIdentity>> {
    options = start
    try {
      let intents = start.intents
      let outcome = await login(start, intents)
      if (outcome.kind === 'disallowed_intents' && withoutPrivileged(intents) !== intents) {
        // Discord closed with 4014: the application lacks a privileged intent. Serve what it may have.
        intents = withoutPrivileged(intents)
        outcome = await login(start, intents)
      }
      switch (outcome.kind) {
        case 'ready':
          client = outcome.client
          granted = intents
          // the snapshot is posted before start's reply, so the gateway has it when login returns
          stopPushing = pushCaches(outcome.client, push)
          return { ok: true, value: identity(outcome.client) }
        case 'token_rejected':
          return failure(401, 0, 'Discord rejected the token')
        case 'disallowed_intents':
          return failure(403, 0, 'Discord refused the requested intents')
        case 'closed':
          return failure(502, 0, `Discord closed the gateway with code ${outcome.code}`)
      }
    } catch (err) {
      return toFailure(err)
    }
  }

  function identity(ready: Client<true>): BotIdentity {
    return {
      botId: ready.user.id,
      username: ready.user.username,
      avatar: ready.user.avatar,
      intents: { guildMembers: has(PRIVILEGED_INTENTS.GuildMembers), messageContent: has(PRIVILEGED_INTENTS.MessageContent) },
      guildCount: ready.guilds.cache.size,
    }
  }

  const findGuild = (guildId: string | null) => {
    const guilds = requireClient().guilds.cache
    if (guildId === null) {
      if (guilds.size === 1) return guilds.first()!
      throw failure(400, 0, `The bot is in ${guilds.size} guilds: pass guildId`)
    }
    const guild = guilds.get(guildId)
    if (!guild) throw failure(404, 10004, 'Unknown guild')
    return guild
  }

  /** Our own checks fail with Discord's codes, thrown as RpcFailure data and caught here. */
  const answer = async <T>(work: () => Promise<T>): Promise<RpcResult<T>> =>
    guarded(work).catch((err: unknown) => {
      if (typeof err === 'object' && err !== null && 'ok' in err) return err as RpcResult<T>
      throw err
    })

  async function pageThrough<Item extends { id: string }>(
    limit: number,
    pageSize: number,
    fetchPage: (size: number, cursor: string | null) => Promise<Item[]>,
    cursor: string | null,
    toOutput: (item: Item) => unknown,
  ): Promise<Page> {
    const collected: Item[] = []
    while (collected.length < limit) {
      const size = Math.min(pageSize, limit - collected.length)
      const page = await fetchPage(size, cursor)
      collected.push(...page)
      if (page.length < size) break
      cursor = page.at(-1)!.id
    }
    const full = collected.length === limit
    return { body: JSON.stringify(collected.map(toOutput)), nextCursor: full ? (collected.at(-1)?.id ?? null) : null }
  }

  const api: BotWorkerApi = {
    start,
    async stats() {
      const ready = client
      return {
        ready: ready?.isReady() ?? false,
        guildCount: ready?.guilds.cache.size ?? 0,
        gatewayPingMs: ready?.ws.ping ?? -1,
        heapUsedBytes: process.memoryUsage().heapUsed,
      }
    },
    listGuilds: () => answer(async () => serializeGuilds(requireClient()).body),
    listChannels: (guildId) => answer(async () => serializeChannels(findGuild(guildId))),
    listMembers: (guildId, limit, after) =>
      answer(async () => {
        if (!has(PRIVILEGED_INTENTS.GuildMembers)) throw missingIntent('GuildMembers')
        const guild = findGuild(guildId)
        const rest = requireClient().rest
        // Discord pages members by ascending id: `after` is the last id of the previous page.
        return pageThrough<APIGuildMember & { id: string }>(
          limit,
          DISCORD_MEMBER_PAGE,
          async (size, cursor) => {
            const query = new URLSearchParams({ limit: String(size), ...(cursor ? { after: cursor } : {}) })
            const page = (await rest.get(Routes.guildMembers(guild.id), { query })) as APIGuildMember[]
            return page.map((member) => Object.assign(member, { id: member.user.id }))
          },
          after,
          (member) => toMember(member),
        )
      }),
    listMessages: (channelId, limit, before) =>
      answer(async () => {
        if (!has(PRIVILEGED_INTENTS.MessageContent)) throw missingIntent('MessageContent')
        const rest = requireClient().rest
        return pageThrough<APIMessage>(
          limit,
          DISCORD_MESSAGE_PAGE,
          async (size, cursor) => {
            const query = new URLSearchParams({ limit: String(size), ...(cursor ? { before: cursor } : {}) })
            return (await rest.get(Routes.channelMessages(channelId), { query })) as APIMessage[]
          },
          before,
          toMessage,
        )
      }),
    sendMessage: ({ channelId, content }) =>
      answer(async () => {
        const sent = (await requireClient().rest.post(Routes.channelMessages(channelId), { body: { content } })) as APIMessage
        return JSON.stringify(toMessage(sent))
      }),
    async stop() {
      const stopping = client
      client = undefined
      stopPushing?.()
      await stopping?.destroy()
    },
    async injectFault(fault: TestFault) {
      if (!options?.testHooks) throw new Error('test hooks are disabled')
      breakOnPurpose(fault)
    },
  }
  return api
}

function breakOnPurpose(fault: TestFault): void {
  switch (fault) {
    case 'throw':
      setTimeout(() => {
        throw new Error('test fault: uncaught exception')
      })
      return
    case 'reject':
      void Promise.reject(new Error('test fault: unhandled rejection')) // nobody handles it: that is the fault
      return
    case 'exit':
      setTimeout(() => process.exit(1))
      return
    case 'hang':
      setTimeout(() => {
        for (;;) {
          // spin forever: the worker stops answering, the gateway must not notice
        }
      })
      return
  }
}
