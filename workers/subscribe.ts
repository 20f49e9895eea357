import type { Client, ClientEvents } from 'discord.js'

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
