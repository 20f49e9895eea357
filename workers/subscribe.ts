import { Events, type Client, type ClientEvents } from 'discord.js'
import type { GatewayDispatchPayload } from 'discord-api-types/v10'

/** Adds a typed client listener and returns what removes it, so setup and teardown cannot drift apart. */
export function subscribe<Event extends keyof ClientEvents>(
  client: Client,
  event: Event,
  listener: (...args: ClientEvents[Event]) => void,
): () => void {
  client.on(event, listener)
  return () => void client.off(event, listener)
}

export const unsubscribeAll = (unsubscribers: readonly (() => void)[]) => () => {
  for (const unsubscribe of unsubscribers) unsubscribe()
}

/**
 * Listens to every gateway dispatch as Discord sent it ('raw' fires once per dispatch, before discord.js builds
 * anything; it is missing from ClientEvents' typings), returning what removes the listener.
 */
export function subscribeRaw(client: Client, listener: (packet: GatewayDispatchPayload) => void): () => void {
  const rawEvents = client as unknown as NodeJS.EventEmitter
  rawEvents.on(Events.Raw, listener)
  return () => void rawEvents.off(Events.Raw, listener)
}
