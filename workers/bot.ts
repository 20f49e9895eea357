import { Events, REST, type Client } from 'discord.js'
import { GatewayIntentBits, Routes, type APIApplication, type RESTGetAPIGatewayBotResult } from 'discord-api-types/v10'
import type {
  BotIdentity,
  BotStartOptions,
  BotWorkerApi,
  GatewaySession,
  ResumeFallbackReason,
  RpcFailure,
  RpcResult,
  TestFault,
  WorkerPush,
} from '../src/contract.ts'
import { PRIVILEGED_INTENTS, withoutPrivileged, withoutUngranted } from '../src/discord/intents.ts'
import { createClient, discordDeadlineMs, loginUntilReady } from './client.ts'
import { collectAfterLogin } from './collect-after-login.ts'
import { MAX_GUILDS_TO_RESUME, readReadySnapshot, sessionKeepingStrategy } from './resume.ts'
import { failure, guarded, guardedWithin, toFailure } from './failures.ts'
import { createRestGuard } from './rest-guard.ts'
import { createMessageCache, type MessageCache } from './message-cache.ts'
import { skipMessageStructures } from './message-structures.ts'
import { createMemberPages, feedMemberPages, type MemberPages } from './member-pages.ts'
import { feedMessageCache } from './message-events.ts'
import { forwardEvents } from './events.ts'
import { pushCaches, serializeChannels, serializeGuilds } from './push.ts'
import { listMembers, listMessages } from './reads.ts'
import { subscribe, unsubscribeAll } from './subscribe.ts'
import { watchClient, type Telemetry } from './telemetry.ts'
import { breakOnPurpose, dropGrown } from './test-faults.ts'
import { createWorkerLog } from './worker-log.ts'
import { addReaction, deleteMessage, editMessage, removeReaction, sendMessage, triggerTyping } from './writes.ts'

const MESSAGE_EVENTS = GatewayIntentBits.GuildMessages | GatewayIntentBits.MessageContent

const missingIntent = (name: string) =>
  failure(403, 0, `The bot's application does not have the privileged ${name} intent enabled`)

type Running = {
  client: Client<true>
  intents: number
  telemetry: Telemetry
  /** Only with the intents whose events keep it true (GuildMessages, MessageContent). */
  messages: MessageCache | null
  /** Only with the GuildMembers intent, whose events tell every change to a guild's member list. */
  memberPages: MemberPages | null
  /** Removes every listener this worker added to the client. */
  stopWatching: () => void
  /** Destroys the client, then drops the session hooks and their timer. */
  destroy: () => Promise<void>
  /** Closes the gateway keeping the Discord session resumable, then destroys the client; the session kept. */
  suspend: () => Promise<GatewaySession | null>
}

/**
 * Everything a worker does for one bot: one discord.js client, created by start(). Every per-bot value lives in
 * this closure, none in modules: bots hosted by one thread, or one after another, share nothing but code.
 * `calls` is where this bot's calls arrive (its MessagePort), for the 'hang' test fault.
 */
export function createBotApi(push: (message: WorkerPush) => void, calls: EventTarget): BotWorkerApi {
  let running: Running | undefined
  let testHooks = false
  let token: string | undefined
  let callDeadlineMs = 0
  let startsInFlight = 0
  // bumped by stop(): a login that was under way then must destroy its client instead of serving
  let generation = 0
  const log = createWorkerLog(push)

  const fellBack = (reason: ResumeFallbackReason, detail: string) => {
    log.warn({ reason, detail }, 'restart could not RESUME the gateway session; identifying instead')
    push({ botvisor: 'resume_fallback', reason, detail })
  }

  const requireRunning = (): Running => {
    // a call that raced a stop: expected, so data (503 is the worker's own "not logged in", never Discord's)
    if (!running) throw failure(503, 0, 'The bot is not logged in')
    return running
  }
  const has = (bit: number) => ((running?.intents ?? 0) & bit) === bit

  async function login(options: BotStartOptions, intents: number) {
    // filled in below, before login() makes discord.js build its strategy
    const plan = {
      resume: null as GatewaySession | null,
      snapshot: null as Awaited<ReturnType<typeof readReadySnapshot>>,
    }
    const settled = Promise.withResolvers<'resumed' | 'identified'>()
    let keeping: ReturnType<typeof sessionKeepingStrategy> | undefined
    const restGuard = createRestGuard(options)
    const client = createClient({
      ...options,
      intents,
      restGuard,
      buildStrategy: (manager) => {
        keeping = sessionKeepingStrategy({
          ...plan,
          report: (session) => push({ botvisor: 'session', session }),
          onSettled: settled.resolve,
        })
        return keeping.build(manager)
      },
    })
    skipMessageStructures(client)
    // from before login: a RESUME's replayed dispatches arrive before start() answers (events.ts)
    const stopForwarding = forwardEvents(client, push)
    // the session's last report (null: ended) still goes out while discord.js closes; nothing after
    const destroy = () =>
      client.destroy().finally(() => {
        keeping?.dispose()
        stopForwarding()
      })
    // the shards are closed first, resumably: client.destroy() then finds them idle and sends no 1000
    const suspend = async () => {
      const session = (await keeping?.suspend()) ?? null
      await destroy()
      return session
    }
    try {
      client.rest.setToken(options.token)
      // discord.js reads this too, but does not tell how many IDENTIFYs are left before it spends one; asked
      // beside the snapshot's reads, not after them (one round trip less per RESUME)
      const gatewayRead = client.rest.get(Routes.gatewayBot()) as Promise<RESTGetAPIGatewayBotResult>
      gatewayRead.catch(() => {}) // awaited below; a rejection meanwhile must not count as unhandled (it kills the worker)
      if (options.resume) {
        // a RESUME spends no IDENTIFY; if Discord refuses it (op 9), @discordjs/ws identifies on its own
        // undefined: the reads failed (reported here); null: too many guilds to rebuild READY for
        const snapshot = await readReadySnapshot(client, options.resume).catch((err: unknown) => {
          fellBack('snapshot_failed', describe(err))
          return undefined
        })
        if (snapshot === null) fellBack('too_many_guilds', `more than ${MAX_GUILDS_TO_RESUME} guilds`)
        plan.snapshot = snapshot ?? null
        plan.resume = plan.snapshot ? options.resume : null
      }
      const gateway = await gatewayRead
      const limit = gateway.session_start_limit
      push({ botvisor: 'identifies', left: limit.remaining })
      if (!plan.resume && limit.remaining <= options.identifyReserve) {
        await destroy()
        const resetAt = new Date(Date.now() + limit.reset_after).toISOString()
        return { kind: 'budget' as const, detail: `only ${limit.remaining} IDENTIFYs left today (resets ${resetAt})` }
      }
      const outcome = await loginUntilReady(client, options.token, options.loginTimeoutMs)
      if (outcome.kind !== 'ready') await destroy()
      // discord.js is ready from the replayed READY at once; start answers once Discord settled the session
      const settledAs =
        outcome.kind === 'ready' && plan.resume !== null
          ? await settledWithin(settled.promise, options.loginTimeoutMs)
          : null
      if (settledAs === 'identified') fellBack('refused', 'Discord refused the RESUME (op 9); @discordjs/ws identified')
      if (settledAs === 'timeout') fellBack('not_settled', `no RESUMED or READY within ${options.loginTimeoutMs} ms`)
      return { ...outcome, limit, resumed: settledAs === 'resumed', destroy, suspend, restGuard }
    } catch (err) {
      await destroy()
      throw err
    }
  }

  async function start(options: BotStartOptions): Promise<RpcResult<BotIdentity>> {
    if (running) throw new Error('start() on a worker that already runs a bot') // the gateway's bug, not Discord's
    const startedIn = generation
    startsInFlight += 1
    testHooks = options.testHooks
    token = options.token
    callDeadlineMs = discordDeadlineMs(options.requestDeadlineMs)
    if (testHooks && options.startFault) breakOnPurpose(options.startFault, calls)
    try {
      let intents = options.intents
      let outcome = await login(options, intents)
      // Discord closed with 4014: the application lacks a privileged intent. Ask which ones it has and drop only
      // the others (a bot with MessageContent but not GuildMembers keeps reading messages); should Discord
      // still refuse, or not say, fall back to no privileged intent at all.
      if (outcome.kind === 'disallowed_intents') {
        for (const fallback of [await grantedIntents(options, intents), withoutPrivileged(intents)]) {
          if (outcome.kind !== 'disallowed_intents' || fallback === null || fallback === intents) continue
          intents = fallback
          outcome = await login(options, intents)
        }
      }
      switch (outcome.kind) {
        case 'ready': {
          const { client, limit, resumed } = outcome
          if (generation !== startedIn) {
            await outcome.destroy()
            return failure(503, 0, 'the bot was stopped while it logged in')
          }
          outcome.restGuard.serving()
          const telemetry = watchClient(client, push)
          const eventsKeepMessagesFresh = (intents & MESSAGE_EVENTS) === MESSAGE_EVENTS
          const messages = eventsKeepMessagesFresh
            ? createMessageCache((channelId) => push({ botvisor: 'messages', channelId }))
            : null
          // the snapshot is posted before start's reply, so the gateway has it when login returns
          const stopPushing = pushCaches(client, push)
          const stopFeeding = messages ? feedMessageCache(client, messages) : () => {}
          const memberPages =
            (intents & PRIVILEGED_INTENTS.GuildMembers) !== 0
              ? createMemberPages((guildId) => push({ botvisor: 'members', guildId }))
              : null
          const stopFeedingMembers = memberPages ? feedMemberPages(client, memberPages) : () => {}
          const stopLogging = unsubscribeAll([
            subscribe(client, Events.Warn, (message) => log.warn({ botId: client.user.id }, `discord.js: ${message}`)),
            subscribe(client, Events.Error, (err) =>
              log.error({ botId: client.user.id, error: err.name }, `discord.js: ${err.message}`),
            ),
          ])
          running = {
            client,
            intents,
            telemetry,
            messages,
            memberPages,
            stopWatching: unsubscribeAll([
              stopPushing,
              stopFeeding,
              stopFeedingMembers,
              telemetry.dispose,
              stopLogging,
            ]),
            destroy: outcome.destroy,
            suspend: outcome.suspend,
          }
          collectAfterLogin()
          return {
            ok: true,
            value: {
              botId: client.user.id,
              username: client.user.username,
              avatar: client.user.avatar,
              intents: {
                guildMembers: has(PRIVILEGED_INTENTS.GuildMembers),
                messageContent: has(PRIVILEGED_INTENTS.MessageContent),
              },
              guildCount: client.guilds.cache.size,
              identifiesLeft: resumed ? limit.remaining : limit.remaining - 1,
              resumed,
              intentBits: intents,
            },
          }
        }
        case 'budget':
          return failure(429, 0, outcome.detail)
        case 'token_rejected':
          return failure(401, 0, 'Discord rejected the token')
        case 'disallowed_intents':
          return failure(403, 0, 'Discord refused the requested intents')
        case 'closed':
          return failure(502, 0, `Discord closed the gateway with code ${outcome.code}`)
      }
    } catch (err) {
      return toFailure(err)
    } finally {
      startsInFlight -= 1
    }
  }

  /** A 401 on a read may be a revoked token: confirm with GET /users/@me before telling the gateway. */
  async function confirmRevoked(): Promise<void> {
    const client = running?.client
    if (!client || !token) return
    // @discordjs/rest forgets the token after any 401; ask once more with it
    client.rest.setToken(token)
    const check = await guarded(() => client.rest.get(Routes.user('@me'))).catch(() => undefined)
    if (check && !check.ok && check.status === 401) push({ botvisor: 'gateway', status: 'revoked', code: 401 })
  }

  /** Runs a read or a send within the Discord deadline; our own checks fail with Discord's codes, thrown as RpcFailure data. */
  async function answer<T>(work: (client: Client<true>, signal: AbortSignal) => Promise<T>): Promise<RpcResult<T>> {
    const result = await guardedWithin(callDeadlineMs, (signal) => work(requireRunning().client, signal)).catch(
      (err: unknown) => {
        if (isRpcFailure(err)) return err
        throw err
      },
    )
    if (!result.ok && result.status === 401) void confirmRevoked() // settles on its own; failures are data
    return result
  }

  const findGuild = (client: Client<true>, guildId: string | null) => {
    const guilds = client.guilds.cache
    if (guildId === null) {
      const only = guilds.size === 1 ? guilds.first() : undefined
      if (!only) throw failure(400, 0, `The bot is in ${guilds.size} guilds: pass guildId`)
      return only
    }
    const guild = guilds.get(guildId)
    if (!guild) throw failure(404, 10004, 'Unknown guild')
    return guild
  }

  return {
    start,
    async stats() {
      return (
        running?.telemetry.stats() ?? {
          ready: false,
          guildCount: 0,
          gatewayPingMs: -1,
          heapUsedBytes: process.memoryUsage().heapUsed,
          restCalls: 0,
          rateLimited: 0,
          invalidRequests: 0,
          gatewayEvents: 0,
        }
      )
    },
    listGuilds: () => answer(async (client) => serializeGuilds(client).body),
    listChannels: (guildId) => answer(async (client) => serializeChannels(findGuild(client, guildId))),
    listMembers: (guildId, limit, after) =>
      answer(async (client) => {
        // the pages exist exactly when the bot has the GuildMembers intent (start())
        const pages = requireRunning().memberPages
        if (!pages) throw missingIntent('GuildMembers')
        return listMembers(client, pages, findGuild(client, guildId).id, limit, after)
      }),
    listMessages: (channelId, limit, before) =>
      answer(async (client) => {
        if (!has(PRIVILEGED_INTENTS.MessageContent)) throw missingIntent('MessageContent')
        return listMessages(client, requireRunning().messages, channelId, limit, before)
      }),
    sendMessage: (message) => answer((client, signal) => sendMessage(client, message, signal)),
    editMessage: (edit) => answer((client, signal) => editMessage(client, edit, signal)),
    deleteMessage: (message) => answer((client, signal) => deleteMessage(client, message, signal)),
    addReaction: (reaction) => answer((client, signal) => addReaction(client, reaction, signal)),
    removeReaction: (reaction) => answer((client, signal) => removeReaction(client, reaction, signal)),
    triggerTyping: (channelId) => answer((client, signal) => triggerTyping(client, channelId, signal)),
    async stop() {
      generation += 1
      const stopping = running
      running = undefined
      stopping?.stopWatching()
      await stopping?.destroy()
    },
    async suspend() {
      generation += 1
      const stopping = running
      running = undefined
      stopping?.stopWatching()
      return (await stopping?.suspend()) ?? null
    },
    async collectGarbage() {
      Bun.gc(true)
      return process.memoryUsage().heapUsed
    },
    async reset() {
      const leftovers = [
        running ? 'a client still runs' : '',
        startsInFlight > 0 ? 'a login is still under way' : '',
      ].filter(Boolean)
      testHooks = false
      token = undefined
      dropGrown()
      // what the last bot allocated goes now, not when the next bot's login happens to trigger a collection
      Bun.gc(true)
      const clean = leftovers.length === 0
      if (!clean) log.warn({ leftovers: leftovers.join('; ') }, 'worker not clean after stop')
      return { clean, heapUsedBytes: process.memoryUsage().heapUsed, detail: clean ? 'clean' : leftovers.join('; ') }
    },
    async injectFault(fault: TestFault) {
      if (!testHooks) return failure(403, 0, 'test hooks are disabled')
      breakOnPurpose(fault, calls)
      return { ok: true, value: null }
    },
  }
}

/**
 * The intents asked for, less the privileged ones the application's flags (GET /applications/@me) do not grant;
 * null when Discord does not say (the caller then drops every privileged intent, as before).
 */
async function grantedIntents(options: BotStartOptions, intents: number): Promise<number | null> {
  // one call, then dropped: no sweeper timers to outlive it
  const rest = new REST({
    api: options.apiUrl,
    timeout: discordDeadlineMs(options.requestDeadlineMs),
    hashSweepInterval: 0,
    handlerSweepInterval: 0,
  })
  rest.setToken(options.token)
  try {
    const application = (await rest.get(Routes.currentApplication())) as APIApplication
    return typeof application.flags === 'number' ? withoutUngranted(intents, application.flags) : null
  } catch {
    return null // Discord's answer is not ours to judge here: the login that follows reports what went wrong
  }
}

const settledWithin = <T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** One line for a log: Discord's status and message, never the error object (its URL and body may hold secrets). */
function describe(err: unknown): string {
  try {
    const failed = toFailure(err)
    return `${failed.status}: ${failed.detail}`
  } catch {
    return err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 200) : 'unknown error'
  }
}

const isRpcFailure = (value: unknown): value is RpcFailure =>
  typeof value === 'object' && value !== null && 'ok' in value && value.ok === false
