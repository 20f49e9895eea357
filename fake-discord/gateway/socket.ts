import type { WebSocketHandler } from 'bun'
import type { CounterBook } from '../counters.ts'
import type { BotName, BotRecord, WorldState } from '../world/types.ts'
import { hasIntent, Intent, intentsProblem } from './intents.ts'
import { answerMemberRequest } from './member-chunks.ts'
import { buildGuildCreate, buildReady, guildsOfBot, TRACE } from './payloads.ts'
import type { GatewaySocket, SessionStore, SocketState } from './sessions.ts'

export interface GatewayDeps {
  world: WorldState
  sessions: SessionStore
  counters: CounterBook
  gatewayUrl(): string
  heartbeatIntervalMs: number
  botOfToken(token: string | null): BotRecord | null
  onIdentify(bot: BotRecord): void
}

export interface Gateway {
  handlers: WebSocketHandler<SocketState>
  /** Closes every connection of a bot with `code`; returns how many were closed. */
  closeBot(bot: BotName, code: number): number
  closeAll(): void
}

/** Close reasons in Discord's words (docs: Opcodes and Status Codes → Gateway Close Event Codes). */
const REASONS: Record<number, string> = {
  4000: 'Unknown error.',
  4001: 'Unknown opcode.',
  4002: 'Decode error.',
  4003: 'Not authenticated.',
  4004: 'Authentication failed.',
  4005: 'Already authenticated.',
  4007: 'Invalid seq.',
  4008: 'Rate limited.',
  4009: 'Session timed out.',
  4010: 'Invalid shard.',
  4011: 'Sharding required.',
  4012: 'Invalid API version.',
  4013: 'Invalid intent(s).',
  4014: 'Disallowed intent(s).',
}
/** After these Discord wants a new session (IDENTIFY), not a RESUME. */
const SESSION_ENDING = new Set([4003, 4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014])

const frame = (op: number, d: unknown) => JSON.stringify({ t: null, s: null, op, d })

export function createGateway(deps: GatewayDeps): Gateway {
  const { sessions, counters } = deps
  const sockets = new Set<GatewaySocket>()

  const close = (ws: GatewaySocket, code: number) => {
    if (SESSION_ENDING.has(code)) ws.data.endsSession = true
    ws.close(code, REASONS[code] ?? '')
  }
  // Discord drops a connection that stops heartbeating; 1.5 intervals covers the client's jittered first beat
  const armHeartbeatDeadline = (ws: GatewaySocket) => {
    if (ws.data.heartbeatTimer) clearTimeout(ws.data.heartbeatTimer)
    ws.data.heartbeatTimer = setTimeout(() => close(ws, 4009), deps.heartbeatIntervalMs * 1.5)
  }

  const identify = (ws: GatewaySocket, d: Record<string, unknown>) => {
    const bot = deps.botOfToken(typeof d.token === 'string' ? d.token : null)
    if (!bot) return close(ws, 4004)
    const problem = intentsProblem(bot, d.intents)
    if (problem) return close(ws, problem.code)
    const shard = Array.isArray(d.shard) ? d.shard : [0, 1]
    const [shardId, shardCount] = shard as [unknown, unknown]
    if (typeof shardId !== 'number' || typeof shardCount !== 'number' || shardId < 0 || shardId >= shardCount) {
      return close(ws, 4010)
    }
    const threshold = typeof d.large_threshold === 'number' ? Math.min(250, Math.max(50, d.large_threshold)) : 50
    counters.countIdentify(bot.name)
    deps.onIdentify(bot)
    const session = sessions.create(bot, d.intents as number, threshold)
    session.socket = ws
    ws.data.session = session
    counters.connectionOpened(bot.name)
    sessions.dispatch(session, 'READY', buildReady(deps.world, session, deps.gatewayUrl()))
    if (!hasIntent(session.intents, Intent.Guilds)) return // GUILD_CREATE belongs to the Guilds intent
    for (const guild of guildsOfBot(deps.world, bot.user.id)) {
      sessions.dispatch(session, 'GUILD_CREATE', buildGuildCreate(deps.world, guild, session))
    }
  }

  const resume = (ws: GatewaySocket, d: Record<string, unknown>) => {
    const bot = deps.botOfToken(typeof d.token === 'string' ? d.token : null)
    if (!bot) return close(ws, 4004)
    const session = typeof d.session_id === 'string' ? sessions.get(d.session_id) : undefined
    const seq = typeof d.seq === 'number' ? d.seq : -1
    const oldest = session?.backlog[0]?.s ?? 1
    if (!session?.resumable || session.bot !== bot || seq < oldest - 1) {
      ws.send(frame(9, false)) // the client must start over with IDENTIFY
      return
    }
    if (seq > session.seq) return close(ws, 4007)
    if (session.socket && session.socket !== ws) close(session.socket, 4000)
    session.socket = ws
    session.detachedAtMs = null
    ws.data.session = session
    counters.countResume(bot.name)
    counters.connectionOpened(bot.name)
    for (const entry of session.backlog) if (entry.s > seq) ws.send(entry.text)
    sessions.dispatch(session, 'RESUMED', { _trace: TRACE })
  }

  const onMessage = (ws: GatewaySocket, raw: string | Buffer) => {
    let payload: { op?: unknown; d?: unknown }
    try {
      if (typeof raw !== 'string') throw new Error('binary frames: the fake speaks JSON text only')
      payload = JSON.parse(raw)
    } catch {
      return close(ws, 4002)
    }
    const d = typeof payload.d === 'object' && payload.d !== null ? (payload.d as Record<string, unknown>) : {}
    const session = ws.data.session
    switch (payload.op) {
      case 1:
        armHeartbeatDeadline(ws)
        ws.send(frame(11, null))
        return
      case 2:
        return session ? close(ws, 4005) : identify(ws, d)
      case 6:
        return session ? close(ws, 4005) : resume(ws, d)
      case 3: // presence update
      case 4: // voice state update: accepted, nothing to do
        return session ? undefined : close(ws, 4003)
      case 8:
        return session ? answerMemberRequest(deps.world, sessions, session, payload.d) : close(ws, 4003)
      default:
        return close(ws, session ? 4001 : 4003)
    }
  }

  return {
    handlers: {
      open(ws) {
        sockets.add(ws)
        if (ws.data.version !== null && ws.data.version !== '10') return close(ws, 4012)
        ws.send(frame(10, { heartbeat_interval: deps.heartbeatIntervalMs, _trace: TRACE }))
        armHeartbeatDeadline(ws)
      },
      message: onMessage,
      close(ws, code) {
        sockets.delete(ws)
        if (ws.data.heartbeatTimer) clearTimeout(ws.data.heartbeatTimer)
        const session = ws.data.session
        if (!session) return
        counters.connectionClosed(session.bot.name)
        if (session.socket !== ws) return
        session.socket = null
        session.detachedAtMs = Date.now()
        // a client closing with 1000/1001 ends its session (docs: Gateway → Disconnecting)
        if (ws.data.endsSession || code === 1000 || code === 1001) session.resumable = false
      },
    },
    closeBot(bot, code) {
      let closed = 0
      for (const ws of sockets) {
        if (ws.data.session?.bot.name !== bot) continue
        close(ws, code)
        closed++
      }
      return closed
    },
    closeAll() {
      for (const ws of sockets) close(ws, 1001)
    },
  }
}
