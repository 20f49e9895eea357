import { Events, RESTEvents, type Client } from 'discord.js'
import { GatewayCloseCodes } from 'discord-api-types/v10'
import type { BotStats, WorkerPush } from '../src/contract.ts'
import { INVALID_STATUSES, REPLAYED_HEADER } from './rest-guard.ts'
import { subscribe, subscribeRaw, unsubscribeAll } from './subscribe.ts'

/**
 * How often the worker tells the gateway its heap. From its own timer: the gateway's health poll queues
 * behind the worker's traffic (under load the watermark acted after 17.5 s). One small message a second.
 */
export const MEMORY_PUSH_MS = 1_000

export type Telemetry = { stats(): BotStats; dispose(): void }

/**
 * Counts what the supervisor and the metrics need (REST calls, 429s, invalid requests, gateway events),
 * reports the gateway connection's state as it changes, and pushes the heap every MEMORY_PUSH_MS.
 */
export function watchClient(client: Client<true>, push: (message: WorkerPush) => void): Telemetry {
  let restCalls = 0
  let rateLimited = 0
  let invalidRequests = 0
  let gatewayEvents = 0

  const onResponse = (
    _request: unknown,
    response: { status: number; headers?: { get(name: string): string | null } },
  ) => {
    if (response.headers?.get(REPLAYED_HEADER)) return // the refusal cache answered, not Discord
    restCalls += 1
    if (response.status === 429) rateLimited += 1
    if (INVALID_STATUSES.has(response.status)) invalidRequests += 1
  }
  const onRaw = () => {
    gatewayEvents += 1
  }
  const onReconnecting = () => push({ botvisor: 'gateway', status: 'reconnecting' })
  const onResumed = () => push({ botvisor: 'gateway', status: 'ready' })
  const onDisconnect = ({ code }: { code: number }) =>
    push({ botvisor: 'gateway', status: code === GatewayCloseCodes.AuthenticationFailed ? 'revoked' : 'closed', code })

  const memoryTimer = setInterval(
    () => push({ botvisor: 'memory', heapUsedBytes: process.memoryUsage().heapUsed }),
    MEMORY_PUSH_MS,
  )
  client.rest.on(RESTEvents.Response, onResponse)
  const unsubscribe = unsubscribeAll([
    subscribeRaw(client, onRaw),
    subscribe(client, Events.ShardReconnecting, onReconnecting),
    subscribe(client, Events.ShardResume, onResumed),
    subscribe(client, Events.ShardReady, onResumed),
    subscribe(client, Events.ShardDisconnect, onDisconnect),
  ])

  return {
    stats: () => ({
      ready: client.isReady(),
      guildCount: client.guilds.cache.size,
      gatewayPingMs: client.ws.ping,
      heapUsedBytes: process.memoryUsage().heapUsed,
      restCalls,
      rateLimited,
      invalidRequests,
      gatewayEvents,
    }),
    dispose() {
      clearInterval(memoryTimer)
      client.rest.off(RESTEvents.Response, onResponse)
      unsubscribe()
    },
  }
}
