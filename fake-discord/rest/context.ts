import { ApplicationFlags } from 'discord-api-types/v10'
import type { Mutations } from '../world/mutations.ts'
import type { BotRecord, WorldState } from '../world/types.ts'
import type { NonceBook } from './nonces.ts'

export interface RestDeps {
  world: WorldState
  mutations: Mutations
  /** Messages sent with `enforce_nonce`, so a repeated nonce returns the first message. */
  nonces: NonceBook
  gatewayUrl: string
  /** IDENTIFYs left today for a bot, as GET /gateway/bot reports it. */
  sessionStartRemaining(bot: BotRecord): number
}

export interface RestContext extends RestDeps {
  bot: BotRecord
  params: Readonly<Record<string, string>>
  query: URLSearchParams
  body: unknown
}

export interface Reply {
  status: number
  body?: unknown
}

export type RouteHandler = (ctx: RestContext) => Reply | Promise<Reply>

export const ok = (body: unknown): Reply => ({ status: 200, body })
export const noContent: Reply = { status: 204 }

/** Privileged intents are granted per application, by the limited (unverified) or the full flag. */
export function appHasFlag(bot: BotRecord, intent: 'members' | 'presences' | 'content'): boolean {
  const flags = {
    members: ApplicationFlags.GatewayGuildMembers | ApplicationFlags.GatewayGuildMembersLimited,
    presences: ApplicationFlags.GatewayPresence | ApplicationFlags.GatewayPresenceLimited,
    content: ApplicationFlags.GatewayMessageContent | ApplicationFlags.GatewayMessageContentLimited,
  }[intent]
  return (bot.applicationFlags & flags) !== 0
}
