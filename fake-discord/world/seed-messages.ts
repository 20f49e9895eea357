import type { Rng } from '../rng.ts'
import type { ChannelRecord, MessageRecord } from './types.ts'

const PHRASES = [
  'good morning',
  'has anyone tried the new build?',
  'lunch in five',
  'I pushed a fix',
  'that makes sense',
  'see you tomorrow',
  'the tests are green',
  'who is on call?',
  'nice!',
  'brb',
]

export interface SeedMessagesInput {
  rng: Rng
  idAt: (ms: number) => string
  messages: Map<string, MessageRecord[]>
  channels: Map<string, ChannelRecord>
  guildId: string
  channelId: string
  count: number
  startMs: number
  authors: readonly string[]
}

/** Old messages, minutes apart, ids increasing with time as Discord's do. */
export function seedMessages(input: SeedMessagesInput): void {
  const { rng } = input
  const list = input.messages.get(input.channelId) ?? []
  let at = input.startMs
  for (let i = 0; i < input.count; i++) {
    at += 60_000 + rng.int(600_000)
    list.push({
      id: input.idAt(at),
      channelId: input.channelId,
      guildId: input.guildId,
      authorId: rng.pick(input.authors),
      content: `${rng.pick(PHRASES)} (#${i + 1})`,
      embeds: [],
      editedTimestamp: null,
      nonce: null,
      allowedMentions: null,
      reactions: new Map(),
    })
  }
  input.messages.set(input.channelId, list)
  const channel = input.channels.get(input.channelId)
  if (channel) channel.lastMessageId = list.at(-1)?.id ?? null
}
