import type { ServerWebSocket } from 'bun'
import type { BotRecord } from '../world/types.ts'

/** Per-connection state kept on Bun's `ws.data`. */
export interface SocketState {
  session: Session | null
  heartbeatTimer: ReturnType<typeof setTimeout> | null
  /** Set when the fake closes with a code that ends the session (4004, 4010–4014) or the session was revoked. */
  endsSession: boolean
  /** The `v` query parameter of the upgrade request; only 10 is served. */
  version: string | null
}
export type GatewaySocket = ServerWebSocket<SocketState>

export interface Session {
  readonly id: string
  readonly bot: BotRecord
  readonly intents: number
  readonly largeThreshold: number
  seq: number
  /** Sent dispatches, for RESUME to replay what a dropped connection missed. */
  readonly backlog: { s: number; text: string }[]
  socket: GatewaySocket | null
  resumable: boolean
  detachedAtMs: number | null
}

export interface SessionStore {
  create(bot: BotRecord, intents: number, largeThreshold: number): Session
  get(sessionId: string): Session | undefined
  /** Sessions that still collect dispatches: connected, or dropped but resumable. */
  live(): Session[]
  /** The live sessions of one bot. */
  ofBot(botUserId: string): Session[]
  /**
   * The live sessions of the bots among a guild's members: what a guild's dispatch is judged for. Walks the members
   * or the bots with sessions, whichever are fewer, so a dispatch costs little however many bots the fake serves.
   */
  inGuild(members: ReadonlyMap<string, unknown>): Session[]
  dispatch(session: Session, type: string, data: unknown): void
}

const BACKLOG_LIMIT = 5_000
const DETACHED_TTL_MS = 120_000 // Discord keeps a dropped session resumable for a short while only

export function createSessionStore(nextSessionId: () => string): SessionStore {
  const sessions = new Map<string, Session>()
  // by the bot's user id, in creation order: the index the dispatches of a guild are found by
  const byBot = new Map<string, Session[]>()
  const prune = () => {
    const now = Date.now()
    for (const [id, session] of sessions) {
      const expired = session.detachedAtMs !== null && now - session.detachedAtMs > DETACHED_TTL_MS
      if (session.socket || (session.resumable && !expired)) continue
      sessions.delete(id)
      const ofBot = byBot.get(session.bot.user.id)?.filter((other) => other !== session) ?? []
      if (ofBot.length > 0) byBot.set(session.bot.user.id, ofBot)
      else byBot.delete(session.bot.user.id)
    }
  }
  const liveOfBot = (botUserId: string): Session[] => byBot.get(botUserId)?.filter((session) => session.resumable) ?? []
  return {
    create(bot, intents, largeThreshold) {
      prune()
      const session: Session = {
        id: nextSessionId(),
        bot,
        intents,
        largeThreshold,
        seq: 0,
        backlog: [],
        socket: null,
        resumable: true,
        detachedAtMs: null,
      }
      sessions.set(session.id, session)
      const ofBot = byBot.get(bot.user.id)
      if (ofBot) ofBot.push(session)
      else byBot.set(bot.user.id, [session])
      return session
    },
    get: (sessionId) => sessions.get(sessionId),
    live: () => [...sessions.values()].filter((session) => session.resumable),
    ofBot: liveOfBot,
    inGuild(members) {
      const found: Session[] = []
      if (members.size <= byBot.size) {
        for (const memberId of members.keys()) if (byBot.has(memberId)) found.push(...liveOfBot(memberId))
      } else {
        for (const botUserId of byBot.keys()) if (members.has(botUserId)) found.push(...liveOfBot(botUserId))
      }
      return found
    },
    dispatch(session, type, data) {
      session.seq++
      const text = JSON.stringify({ t: type, s: session.seq, op: 0, d: data })
      session.backlog.push({ s: session.seq, text })
      if (session.backlog.length > BACKLOG_LIMIT) session.backlog.shift()
      session.socket?.send(text)
    },
  }
}
