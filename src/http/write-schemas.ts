import { z } from '@hono/zod-openapi'
import { Snowflake } from './schemas.ts'

/**
 * The bodies of the write routes, checked before any Discord call with Discord's own limits (docs → Resources →
 * Message → Embed Limits), so a bad field is our 400 naming it rather than a Discord call that counts and fails.
 * Strings are measured in code points, as Discord counts them (zod's max counts code points too).
 */

const EMBED_TOTAL_MAX = 6000
const codePoints = (text: string | undefined) => (text === undefined ? 0 : [...text].length)

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })

const Embed = z
  .strictObject({
    title: z.string().max(256, 'must be 256 characters or fewer').optional(),
    description: z.string().max(4096, 'must be 4096 characters or fewer').optional(),
    url: HttpUrl.optional().openapi({ description: 'Makes the title a link' }),
    timestamp: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
    color: z
      .number()
      .int('must be an integer')
      .min(0, 'must be 0 to 16777215 (0xFFFFFF)')
      .max(0xffffff, 'must be 0 to 16777215 (0xFFFFFF)')
      .optional()
      .openapi({ description: '0xRRGGBB as an integer', example: 5793266 }),
    footer: z
      .strictObject({
        text: z.string().min(1, 'must not be empty').max(2048, 'must be 2048 characters or fewer'),
        iconUrl: HttpUrl.optional().openapi({ description: 'Discord: `icon_url`' }),
      })
      .optional(),
    image: z.strictObject({ url: HttpUrl }).optional(),
    thumbnail: z.strictObject({ url: HttpUrl }).optional(),
    author: z
      .strictObject({
        name: z.string().min(1, 'must not be empty').max(256, 'must be 256 characters or fewer'),
        url: HttpUrl.optional(),
        iconUrl: HttpUrl.optional().openapi({ description: 'Discord: `icon_url`' }),
      })
      .optional(),
    fields: z
      .array(
        z.strictObject({
          name: z.string().min(1, 'must not be empty').max(256, 'must be 256 characters or fewer'),
          value: z.string().min(1, 'must not be empty').max(1024, 'must be 1024 characters or fewer'),
          inline: z.boolean().optional(),
        }),
      )
      .max(25, 'at most 25 fields')
      .optional(),
  })
  .refine(
    (embed) => Object.keys(embed).some((key) => key !== 'url' && key !== 'timestamp' && key !== 'color'),
    'an embed needs a title, description, fields, author, footer, image or thumbnail',
  )
  .openapi('Embed', {
    description:
      "Discord's rich embed in camelCase; the bot sends it in Discord's snake_case (`footer.iconUrl` → `footer.icon_url`, `author.iconUrl` → `author.icon_url`; every other name is the same). Limits: title 256, description 4096, ≤ 25 fields (name 256, value 1024), footer text 2048, author name 256, and 6000 characters across title, description, field names and values, footer text and author name of all the message's embeds.",
  })

/** Characters that count toward Discord's 6 000 across a message's embeds. */
const embedCharacters = (embed: z.infer<typeof Embed>) =>
  codePoints(embed.title) +
  codePoints(embed.description) +
  codePoints(embed.footer?.text) +
  codePoints(embed.author?.name) +
  (embed.fields ?? []).reduce((sum, field) => sum + codePoints(field.name) + codePoints(field.value), 0)

const Embeds = z
  .array(Embed)
  .max(10, 'at most 10 embeds')
  .superRefine((embeds, ctx) => {
    const total = embeds.reduce((sum, embed) => sum + embedCharacters(embed), 0)
    if (total > EMBED_TOTAL_MAX) {
      ctx.addIssue({
        code: 'custom',
        message: `${total} characters across the embeds; Discord allows ${EMBED_TOTAL_MAX}`,
      })
    }
  })
  .openapi({ description: 'Up to 10 embeds' })

const Content = z.string().max(2000, 'content must be 2000 characters or fewer')

const MENTION_KINDS = ['users', 'roles', 'everyone'] as const

const AllowedMentions = z
  .strictObject({
    parse: z
      .array(z.enum(MENTION_KINDS))
      .refine((kinds) => new Set(kinds).size === kinds.length, 'must not repeat a kind')
      .optional()
      .openapi({ description: 'Kinds pinged wherever the content names them' }),
    users: z.array(Snowflake).max(100, 'at most 100 users').optional().openapi({ description: 'Only these users' }),
    roles: z.array(Snowflake).max(100, 'at most 100 roles').optional().openapi({ description: 'Only these roles' }),
    repliedUser: z
      .boolean()
      .optional()
      .openapi({ description: 'With replyTo: ping the author of the message replied to (Discord: `replied_user`)' }),
  })
  .superRefine((mentions, ctx) => {
    // Discord refuses parse ["users"] together with a users list (and the same for roles): 50035
    for (const kind of ['users', 'roles'] as const) {
      if (mentions.parse?.includes(kind) && mentions[kind] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [kind],
          message: `cannot be given with parse ["${kind}"]: they are mutually exclusive (Discord's rule)`,
        })
      }
    }
  })
  .openapi('AllowedMentions', {
    description:
      'Who the message may ping (Discord\'s `allowed_mentions`, camelCase). Default: `{"parse": ["users"]}`: users named as `<@id>` are pinged, `@everyone`, `@here` and roles are not. Given, it replaces the default whole: `{"repliedUser": true}` alone pings only the replied author.',
  })

export const SendMessageBody = z
  .strictObject({
    channelId: Snowflake,
    content: Content.min(1, 'content must not be empty').optional(),
    embeds: Embeds.optional(),
    replyTo: Snowflake.optional().openapi({
      description:
        'Reply to this message, in the same channel (Discord: `message_reference` with `fail_if_not_exists: true`): a message that is not there is a 400, never a plain message sent instead',
    }),
    allowedMentions: AllowedMentions.optional(),
  })
  .refine((body) => body.content !== undefined || (body.embeds?.length ?? 0) > 0, {
    message: 'send content or at least one embed',
  })
  .openapi('SendMessageRequest')

export const EditMessageBody = z
  .strictObject({
    channelId: Snowflake,
    content: Content.optional().openapi({ description: 'The new text; "" removes it when the message keeps an embed' }),
    embeds: Embeds.optional().openapi({ description: 'Replaces every embed; [] removes them' }),
  })
  .refine((body) => body.content !== undefined || body.embeds !== undefined, {
    message: 'send content, embeds or both',
  })
  .openapi('EditMessageRequest')

/** A unicode emoji (one, as Unicode lists them), or a custom one as `name:id`, as Discord's reaction routes take it. */
const UNICODE_EMOJI = /^(?:\p{RGI_Emoji}|\p{Extended_Pictographic}\uFE0F?)$/v
const CUSTOM_EMOJI = /^\w{2,32}:\d{17,20}$/

export const EmojiParam = z
  .string()
  .refine(
    (emoji) => UNICODE_EMOJI.test(emoji) || CUSTOM_EMOJI.test(emoji),
    'emoji must be one unicode emoji or a custom emoji as name:id (URL-encoded)',
  )
  .openapi({
    param: {
      description:
        'A unicode emoji (`%F0%9F%91%8D` for 👍) or a custom one as `name:id` (`party%3A1104455672845533184`), URL-encoded',
    },
    example: '👍',
  })

export const ChannelQuery = z.object({
  channelId: Snowflake.openapi({ param: { description: 'The channel the message is in' } }),
})
