import { invalidFormBody } from './errors.ts'

/**
 * Discord's embed checks (docs → Resources → Message → Embed Limits), each refused as Discord refuses it: 50035
 * with the field's path in the error tree (`embeds.0.fields.3.value`), lengths in code points (Discord's API is
 * Python 3). The 6 000 characters across a message's embeds is an error on `embeds` itself.
 */

const EMBED_TOTAL_MAX = 6000
const length = (text: string) => [...text].length
type Path = readonly (string | number)[]

const tooLong = (path: Path, max: number) =>
  invalidFormBody(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`)
const required = (path: Path) => invalidFormBody(path, 'BASE_TYPE_REQUIRED', 'This field is required')

/** An optional string no longer than `max`; its length (0 when absent). */
function text(value: unknown, path: Path, max: number, isRequired = false): number {
  if (value === undefined || value === null) {
    if (isRequired) throw required(path)
    return 0
  }
  if (typeof value !== 'string') throw invalidFormBody(path, 'BASE_TYPE_BAD_TYPE', 'Must be a string.')
  if (isRequired && value === '') throw required(path)
  if (length(value) > max) throw tooLong(path, max)
  return length(value)
}

function url(value: unknown, path: Path, isRequired = false): void {
  if (value === undefined || value === null) {
    if (isRequired) throw required(path)
    return
  }
  if (typeof value !== 'string' || !/^(https?|attachment):\/\/\S+$/.test(value)) {
    throw invalidFormBody(path, 'URL_TYPE_INVALID_URL', 'Not a well formed URL.')
  }
}

const object = (value: unknown, path: Path): Record<string, unknown> | undefined => {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidFormBody(path, 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType')
  }
  return value as Record<string, unknown>
}

/** The characters of one embed that count toward the 6 000, after checking each field. */
function checkEmbed(embed: Record<string, unknown>, at: Path): number {
  let characters = text(embed.title, [...at, 'title'], 256) + text(embed.description, [...at, 'description'], 4096)
  url(embed.url, [...at, 'url'])
  if (embed.color !== undefined && embed.color !== null) {
    if (typeof embed.color !== 'number' || !Number.isInteger(embed.color) || embed.color < 0) {
      throw invalidFormBody([...at, 'color'], 'NUMBER_TYPE_COERCE', `Value "${embed.color}" is not int.`)
    }
    if (embed.color > 0xffffff) {
      throw invalidFormBody([...at, 'color'], 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 16777215.')
    }
  }
  const footer = object(embed.footer, [...at, 'footer'])
  if (footer) {
    characters += text(footer.text, [...at, 'footer', 'text'], 2048, true)
    url(footer.icon_url, [...at, 'footer', 'icon_url'])
  }
  const author = object(embed.author, [...at, 'author'])
  if (author) {
    characters += text(author.name, [...at, 'author', 'name'], 256, true)
    url(author.url, [...at, 'author', 'url'])
    url(author.icon_url, [...at, 'author', 'icon_url'])
  }
  for (const media of ['image', 'thumbnail'] as const) {
    const item = object(embed[media], [...at, media])
    if (item) url(item.url, [...at, media, 'url'], true)
  }
  if (embed.fields !== undefined && embed.fields !== null) {
    if (!Array.isArray(embed.fields)) {
      throw invalidFormBody([...at, 'fields'], 'BASE_TYPE_BAD_TYPE', 'Must be an array of objects.')
    }
    if (embed.fields.length > 25) throw tooLong([...at, 'fields'], 25)
    embed.fields.forEach((raw, i) => {
      const field = object(raw, [...at, 'fields', i]) ?? {}
      characters += text(field.name, [...at, 'fields', i, 'name'], 256, true)
      characters += text(field.value, [...at, 'fields', i, 'value'], 1024, true)
      if (field.inline !== undefined && typeof field.inline !== 'boolean') {
        throw invalidFormBody([...at, 'fields', i, 'inline'], 'BASE_TYPE_BAD_TYPE', 'Must be either true or false.')
      }
    })
  }
  return characters
}

/** A Create/Edit Message's `embeds` (already known to be an array of at most 10 objects). */
export function checkEmbeds(embeds: readonly Record<string, unknown>[]): void {
  const total = embeds.reduce((sum, embed, i) => sum + checkEmbed(embed, ['embeds', i]), 0)
  if (total > EMBED_TOTAL_MAX) {
    throw invalidFormBody('embeds', 'MAX_EMBED_SIZE_EXCEEDED', `Embed size exceeds maximum size of ${EMBED_TOTAL_MAX}`)
  }
}
