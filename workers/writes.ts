// DiscordAPIError from discord.js, not @discordjs/rest: see failures.ts for why instanceof needs this one
import { DiscordAPIError, type Client } from 'discord.js'
import {
  Routes,
  type APIAllowedMentions,
  type APIEmbed,
  type APIMessage,
  type RESTPatchAPIChannelMessageJSONBody,
  type RESTPostAPIChannelMessageJSONBody,
} from 'discord-api-types/v10'
import type {
  AllowedMentions,
  JsonText,
  MessageEdit,
  MessageEmbed,
  MessageRef,
  NewMessage,
  OwnReaction,
} from '../src/contract.ts'
import { failure } from './failures.ts'
import { toMessage } from './shapes.ts'

/**
 * Without allowed_mentions Discord pings every @everyone, @here and role the content names: text relayed from
 * elsewhere must not ping a whole server unless the caller asks. Users named as <@id> still are.
 */
const DEFAULT_ALLOWED_MENTIONS: APIAllowedMentions = Object.freeze({ parse: ['users'] }) as APIAllowedMentions

const toDiscordMentions = (mentions: AllowedMentions): APIAllowedMentions => ({
  ...(mentions.parse ? { parse: mentions.parse as APIAllowedMentions['parse'] } : {}),
  ...(mentions.users ? { users: mentions.users } : {}),
  ...(mentions.roles ? { roles: mentions.roles } : {}),
  ...(mentions.repliedUser !== undefined ? { replied_user: mentions.repliedUser } : {}),
})

/** The API's camelCase embed → Discord's snake_case one; only the fields that were given. */
export function toDiscordEmbed(embed: MessageEmbed): APIEmbed {
  const { footer, author, fields, image, thumbnail, ...plain } = embed
  return {
    ...plain,
    ...(footer ? { footer: { text: footer.text, ...(footer.iconUrl ? { icon_url: footer.iconUrl } : {}) } } : {}),
    ...(author
      ? {
          author: {
            name: author.name,
            ...(author.url ? { url: author.url } : {}),
            ...(author.iconUrl ? { icon_url: author.iconUrl } : {}),
          },
        }
      : {}),
    ...(image ? { image: { url: image.url } } : {}),
    ...(thumbnail ? { thumbnail: { url: thumbnail.url } } : {}),
    ...(fields ? { fields: fields.map((field) => ({ ...field })) } : {}),
  }
}

/**
 * Discord's 50035 about message_reference (the reply names a message that is not in this channel) in the API's
 * words: the field is `replyTo` here. Anything else is Discord's own answer, untouched.
 */
function namingReplyTo(err: unknown): never {
  if (err instanceof DiscordAPIError && err.code === 50035) {
    const errors = (err.rawError as { errors?: Record<string, unknown> }).errors
    if (errors && 'message_reference' in errors) {
      throw failure(400, 50035, 'replyTo: unknown message (a reply must name a message in the same channel)')
    }
  }
  throw err
}

/**
 * A send is not idempotent, yet @discordjs/rest retries it after a timeout or a 5xx: with `enforce_nonce`,
 * Discord returns the message it already created with this nonce (by this bot, within a few minutes) and
 * creates none, so a retry by us or by the client cannot post the message twice.
 */
export async function sendMessage(client: Client<true>, message: NewMessage, signal: AbortSignal): Promise<JsonText> {
  const { channelId, content, embeds, replyTo, allowedMentions, nonce } = message
  const body: RESTPostAPIChannelMessageJSONBody = {
    ...(content !== undefined ? { content } : {}),
    ...(embeds ? { embeds: embeds.map(toDiscordEmbed) } : {}),
    // fail_if_not_exists (Discord's default, said out loud): a reply whose message is gone is refused rather than
    // posted as a plain message, which would read as an unrelated remark in a busy channel
    ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: true } } : {}),
    allowed_mentions: allowedMentions ? toDiscordMentions(allowedMentions) : DEFAULT_ALLOWED_MENTIONS,
    nonce,
    enforce_nonce: true,
  }
  const sent = (await client.rest
    .post(Routes.channelMessages(channelId), { body, signal })
    .catch(namingReplyTo)) as APIMessage
  return JSON.stringify(toMessage(sent))
}

/** Discord answers 50005 for a message someone else wrote: the bot may only edit its own. */
export async function editMessage(client: Client<true>, edit: MessageEdit, signal: AbortSignal): Promise<JsonText> {
  const { channelId, messageId, content, embeds } = edit
  const body: RESTPatchAPIChannelMessageJSONBody = {
    ...(content !== undefined ? { content } : {}),
    ...(embeds ? { embeds: embeds.map(toDiscordEmbed) } : {}),
    // the edited text is parsed for mentions again: the same rule as a send
    allowed_mentions: DEFAULT_ALLOWED_MENTIONS,
  }
  const edited = (await client.rest.patch(Routes.channelMessage(channelId, messageId), { body, signal })) as APIMessage
  return JSON.stringify(toMessage(edited))
}

/** Another's message needs MANAGE_MESSAGES (else Discord's 50013). */
export async function deleteMessage(client: Client<true>, { channelId, messageId }: MessageRef, signal: AbortSignal) {
  await client.rest.delete(Routes.channelMessage(channelId, messageId), { signal })
  return null
}

// Discord's route takes the emoji URL-encoded (`name:id` for a custom one), as discord.js sends it
const ownReactionRoute = ({ channelId, messageId, emoji }: OwnReaction) =>
  Routes.channelMessageOwnReaction(channelId, messageId, encodeURIComponent(emoji))

export async function addReaction(client: Client<true>, reaction: OwnReaction, signal: AbortSignal) {
  await client.rest.put(ownReactionRoute(reaction), { signal })
  return null
}

export async function removeReaction(client: Client<true>, reaction: OwnReaction, signal: AbortSignal) {
  await client.rest.delete(ownReactionRoute(reaction), { signal })
  return null
}

export async function triggerTyping(client: Client<true>, channelId: string, signal: AbortSignal) {
  await client.rest.post(Routes.channelTyping(channelId), { signal })
  return null
}
