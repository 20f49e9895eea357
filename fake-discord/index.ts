import { randomBytes } from 'node:crypto'
import { createControl, type FakeControl } from './control.ts'
import { createControlHttp } from './control-http.ts'
import { createCounterBook, type Counters } from './counters.ts'
import { createFaultBook } from './faults.ts'
import { createFanout } from './gateway/fanout.ts'
import { createSessionStore, type SocketState } from './gateway/sessions.ts'
import { createGateway } from './gateway/socket.ts'
import { createRateLimiter } from './rate-limits.ts'
import { createRestHandler } from './rest/handler.ts'
import { createNonceBook } from './rest/nonces.ts'
import { createSnowflakeClock } from './snowflake.ts'
import { makeBotToken } from './tokens.ts'
import { createMutations } from './world/mutations.ts'
import { createWorld } from './world/seed.ts'
import type { BotName, BotRecord, World } from './world/types.ts'

export type { FakeControl } from './control.ts'
export type { Counters } from './counters.ts'
export type { RestFault } from './faults.ts'
export type { RouteKey } from './rest/routes.ts'
export type { BotName, World, WorldIds } from './world/types.ts'

export interface FakeDiscordOptions {
  port?: number
  hostname?: string
  seed?: number
  /** HELLO's heartbeat_interval; Discord's is 41250. A missing beat for 1.5 intervals closes with 4009. */
  heartbeatIntervalMs?: number
  /** Adds `bench-0…bench-(n-1)` to `world.bots`, each alone in a small guild (the benchmark's); 0 by default. */
  extraBots?: number
}

export interface FakeTokens {
  alpha: string
  beta: string
  gamma: string
  solo: string
  /** alpha's previous token: token-shaped, for a real bot, refused since it was reset (401 / 4004). */
  revoked: string
}

export interface FakeDiscord {
  url: string
  apiUrl: string
  gatewayUrl: string
  tokens: FakeTokens
  /** Token-shaped, for a user id that no bot has: 401 / 4004. */
  invalidToken: string
  world: World
  control: FakeControl
  counters(): Counters
  stop(): Promise<void>
}

const API_PATH = /^\/api(?:\/v(\d+))?(\/.*)?$/

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const world = createWorld(options.seed ?? 1, options.extraBots ?? 0)
  const counters = createCounterBook()
  const faults = createFaultBook()
  const limiter = createRateLimiter()
  const stopping = new AbortController()
  const revokedTokens = new Set<string>()
  const byToken = new Map(Object.values(world.bots).map((bot) => [bot.token, bot]))
  const botOfToken = (token: string | null): BotRecord | null =>
    token && !revokedTokens.has(token) ? (byToken.get(token) ?? null) : null
  const nextId = createSnowflakeClock()
  const mutations = createMutations(world, nextId)
  const sessions = createSessionStore(() => randomBytes(16).toString('hex'))
  mutations.subscribe(createFanout(world, sessions))
  const sessionStarts = new Map<BotName, number>(Object.values(world.bots).map((bot) => [bot.name, 1000]))

  let gatewayUrl = ''
  const gateway = createGateway({
    world,
    sessions,
    counters,
    botOfToken,
    gatewayUrl: () => gatewayUrl,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    onIdentify: (bot) => sessionStarts.set(bot.name, Math.max(0, (sessionStarts.get(bot.name) ?? 1000) - 1)),
  })
  const rest = createRestHandler({
    world,
    mutations,
    counters,
    faults,
    limiter,
    botOfToken,
    stopSignal: stopping.signal,
    nonces: createNonceBook(),
    get gatewayUrl() {
      return gatewayUrl
    },
    sessionStartRemaining: (bot) => sessionStarts.get(bot.name) ?? 0,
  })
  const control = createControl({
    world,
    mutations,
    sessions,
    gateway,
    counters,
    faults,
    limiter,
    revokedTokens,
    nextId,
  })
  const tokens: FakeTokens = {
    alpha: world.bots.alpha.token,
    beta: world.bots.beta.token,
    gamma: world.bots.gamma.token,
    solo: world.bots.solo.token,
    revoked: [...world.outdatedTokens.keys()][0] ?? '',
  }
  const controlHttp = createControlHttp(control, world, { ...tokens })

  const server = Bun.serve<SocketState>({
    port: options.port ?? 0,
    hostname: options.hostname ?? '127.0.0.1',
    development: false,
    async fetch(req, srv) {
      const url = new URL(req.url)
      if (url.pathname === '/gateway' || url.pathname === '/gateway/') {
        // `compress` and `encoding` are accepted and ignored: frames are always uncompressed JSON text
        const data: SocketState = {
          session: null,
          heartbeatTimer: null,
          endsSession: false,
          version: url.searchParams.get('v'),
        }
        return srv.upgrade(req, { data }) ? undefined : new Response('Upgrade Required', { status: 426 })
      }
      const api = API_PATH.exec(url.pathname)
      if (api && (api[1] === undefined || api[1] === '9' || api[1] === '10')) {
        return rest(req, (api[2] ?? '/').replace(/\/+$/, '') || '/')
      }
      if (url.pathname.startsWith('/_control/')) return controlHttp(req, url.pathname)
      return Response.json({ message: '404: Not Found', code: 0 }, { status: 404 })
    },
    websocket: gateway.handlers,
  })
  const base = `http://${server.hostname}:${server.port}`
  gatewayUrl = `ws://${server.hostname}:${server.port}/gateway`

  return {
    url: base,
    apiUrl: `${base}/api`,
    gatewayUrl,
    tokens,
    invalidToken: makeBotToken('1000000000000000001', Date.UTC(2024, 0, 1), world.secret),
    world,
    control,
    counters: () => counters.snapshot(),
    async stop() {
      stopping.abort()
      gateway.closeAll()
      await server.stop(true)
    },
  }
}
