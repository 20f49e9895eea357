import type { Client } from 'discord.js'

type MessageAction = { handle(data: unknown): unknown }
/** `client.actions` is private in discord.js's typings: the two actions this file replaces. */
type WithActions = { actions: { MessageCreate: MessageAction } }

/**
 * discord.js turns every MESSAGE_CREATE into a `Message` (its author `User`, its member, mentions, embeds,
 * attachments) and emits `messageCreate`, even with its message cache at 0. Nothing in a worker reads those: the
 * message cache and the forwarded events read the raw dispatch (message-events.ts, events.ts), and no code
 * listens to `messageCreate`. So the action does nothing here. Measured with `bun bench/sends.ts 200`: every send
 * comes back as a MESSAGE_CREATE, and building that Message was a large share of the worker's CPU per send
 * (README, Performance). The raw listeners still see the dispatch: discord.js emits `raw` before the action.
 */
export function skipMessageStructures(client: Client): void {
  const { actions } = client as unknown as WithActions
  actions.MessageCreate.handle = () => ({})
}
