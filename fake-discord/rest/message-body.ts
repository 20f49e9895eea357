import type { AllowedMentions } from '../world/types.ts'
import { checkEmbeds } from './embeds.ts'
import { apiErrors, FakeApiError, invalidFormBody } from './errors.ts'

export interface MessageBody {
  content?: string
  embeds?: Record<string, unknown>[]
  nonce?: string | number
  /** With a nonce: return the message this author already created with it, rather than a second one. */
  enforceNonce?: boolean
  allowedMentions?: AllowedMentions
  /** A reply: the message it answers (channel: the request's, when not given). */
  reference?: { messageId: string; channelId: string | null; failIfNotExists: boolean }
}

// Discord: "nonce: integer or string, up to 25 characters" (docs → Resources → Message → Create Message).
const NONCE_MAX_LENGTH = 25

/** Create/Edit Message body checks, in Discord's words (limits: docs → Resources → Message). */
export function readMessageBody(raw: unknown, mode: 'create' | 'edit'): MessageBody {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FakeApiError(400, {
      message: 'Invalid Form Body',
      code: 50035,
      errors: {
        _errors: { _errors: [{ code: 'DICT_TYPE_CONVERT', message: 'Only dictionaries may be used in a DictType' }] },
      },
    })
  }
  const body = raw as Record<string, unknown>
  const result: MessageBody = {}
  if (body.content !== undefined && body.content !== null) {
    if (typeof body.content !== 'string') {
      throw invalidFormBody('content', 'BASE_TYPE_BAD_TYPE', 'Must be a string.')
    }
    if ([...body.content].length > 2000) {
      throw invalidFormBody('content', 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.')
    }
    result.content = body.content
  }
  if (body.embeds !== undefined && body.embeds !== null) {
    if (!Array.isArray(body.embeds) || body.embeds.some((e) => typeof e !== 'object' || e === null)) {
      throw invalidFormBody('embeds', 'BASE_TYPE_BAD_TYPE', 'Must be an array of embeds.')
    }
    if (body.embeds.length > 10) {
      throw invalidFormBody('embeds', 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.')
    }
    checkEmbeds(body.embeds as Record<string, unknown>[])
    result.embeds = body.embeds as Record<string, unknown>[]
  }
  if (body.nonce !== undefined && body.nonce !== null) result.nonce = readNonce(body.nonce)
  if (body.enforce_nonce !== undefined && body.enforce_nonce !== null) {
    if (typeof body.enforce_nonce !== 'boolean') {
      throw invalidFormBody('enforce_nonce', 'BASE_TYPE_BAD_TYPE', 'Must be either true or false.')
    }
    result.enforceNonce = body.enforce_nonce
  }
  if (body.allowed_mentions !== undefined && body.allowed_mentions !== null) {
    result.allowedMentions = readAllowedMentions(body.allowed_mentions)
  }
  if (mode === 'create' && body.message_reference !== undefined && body.message_reference !== null) {
    result.reference = readReference(body.message_reference)
  }
  const empty = (result.content ?? '') === '' && (result.embeds ?? []).length === 0
  if (mode === 'create' && empty) throw apiErrors.emptyMessage()
  return result
}

const MENTION_KINDS = ['everyone', 'roles', 'users'] as const
const SNOWFLAKE = /^\d{17,20}$/

/** Discord's checks on allowed_mentions: known parse kinds, ids, at most 100 of each, no kind both parsed and listed. */
function readAllowedMentions(raw: unknown): AllowedMentions {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalidFormBody('allowed_mentions', 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType')
  }
  const value = raw as Record<string, unknown>
  const list = (field: 'parse' | 'roles' | 'users', ok: (item: unknown) => boolean): string[] => {
    const items = value[field] ?? []
    if (!Array.isArray(items) || !items.every(ok)) {
      throw invalidFormBody(`allowed_mentions.${field}`, 'BASE_TYPE_BAD_TYPE', 'Must be an array of valid values.')
    }
    if (items.length > 100) {
      throw invalidFormBody(`allowed_mentions.${field}`, 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.')
    }
    return items as string[]
  }
  const parse = list('parse', (item) => MENTION_KINDS.includes(item as (typeof MENTION_KINDS)[number]))
  const roles = list('roles', (item) => typeof item === 'string' && SNOWFLAKE.test(item))
  const users = list('users', (item) => typeof item === 'string' && SNOWFLAKE.test(item))
  for (const kind of ['roles', 'users'] as const) {
    if (parse.includes(kind) && (kind === 'roles' ? roles : users).length > 0) {
      throw invalidFormBody(
        'allowed_mentions',
        'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE',
        `parse:["${kind}"] and ${kind}: [ids...] are mutually exclusive.`,
      )
    }
  }
  if (value.replied_user !== undefined && typeof value.replied_user !== 'boolean') {
    throw invalidFormBody('allowed_mentions.replied_user', 'BASE_TYPE_BAD_TYPE', 'Must be either true or false.')
  }
  return {
    parse: parse as AllowedMentions['parse'],
    roles,
    users,
    repliedUser: value.replied_user === true,
  }
}

function readNonce(nonce: unknown): string | number {
  if (typeof nonce === 'number') {
    if (!Number.isSafeInteger(nonce))
      throw invalidFormBody('nonce', 'NUMBER_TYPE_COERCE', `Value "${nonce}" is not int.`)
    return nonce
  }
  if (typeof nonce !== 'string') throw invalidFormBody('nonce', 'BASE_TYPE_BAD_TYPE', 'Must be a string or an integer.')
  if (nonce.length > NONCE_MAX_LENGTH) {
    throw invalidFormBody('nonce', 'BASE_TYPE_MAX_LENGTH', `Must be ${NONCE_MAX_LENGTH} or fewer in length.`)
  }
  return nonce
}

/** Discord's message_reference as a reply sends it: message_id, optional channel_id, fail_if_not_exists (default true). */
function readReference(raw: unknown): NonNullable<MessageBody['reference']> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalidFormBody('message_reference', 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType')
  }
  const value = raw as Record<string, unknown>
  const snowflake = (field: 'message_id' | 'channel_id') => {
    const id = value[field]
    if (id === undefined || id === null) return null
    if (typeof id !== 'string' || !SNOWFLAKE.test(id)) {
      throw invalidFormBody(
        ['message_reference', field],
        'NUMBER_TYPE_COERCE',
        `Value "${String(id)}" is not snowflake.`,
      )
    }
    return id
  }
  const messageId = snowflake('message_id')
  if (messageId === null) {
    throw invalidFormBody(['message_reference', 'message_id'], 'BASE_TYPE_REQUIRED', 'This field is required')
  }
  const fail = value.fail_if_not_exists
  if (fail !== undefined && fail !== null && typeof fail !== 'boolean') {
    throw invalidFormBody(
      ['message_reference', 'fail_if_not_exists'],
      'BASE_TYPE_BAD_TYPE',
      'Must be either true or false.',
    )
  }
  return { messageId, channelId: snowflake('channel_id'), failIfNotExists: fail !== false }
}
