/** Discord's JSON error bodies (docs: Topics → Opcodes and Status Codes → JSON Error Codes). */
export interface DiscordErrorBody {
  message: string
  code: number
  errors?: ErrorTree
}
export type ErrorTree = { [field: string]: ErrorTree | FieldErrors }
interface FieldErrors {
  _errors: { code: string; message: string }[]
}

export class FakeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: DiscordErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message)
    this.name = 'FakeApiError'
  }
}

const fail = (status: number, message: string, code: number) => () => new FakeApiError(status, { message, code })

export const apiErrors = {
  unauthorized: fail(401, '401: Unauthorized', 0),
  notFound: fail(404, '404: Not Found', 0),
  methodNotAllowed: fail(405, '405: Method Not Allowed', 0),
  unknownChannel: fail(404, 'Unknown Channel', 10003),
  unknownGuild: fail(404, 'Unknown Guild', 10004),
  unknownMember: fail(404, 'Unknown Member', 10007),
  unknownMessage: fail(404, 'Unknown Message', 10008),
  unknownUser: fail(404, 'Unknown User', 10013),
  unknownEmoji: fail(400, 'Unknown Emoji', 10014),
  cannotEditOthers: fail(403, 'Cannot edit a message authored by another user', 50005),
  emptyMessage: fail(400, 'Cannot send an empty message', 50006),
  notTextChannel: fail(400, 'Cannot send messages in a non-text channel', 50008),
  missingAccess: fail(403, 'Missing Access', 50001),
  missingPermissions: fail(403, 'Missing Permissions', 50013),
  invalidJson: fail(400, 'The request body contains invalid JSON.', 50109),
} as const

/**
 * 50035 Invalid Form Body, with the per-field tree Discord nests under `errors`. A path nests one level per key,
 * array indexes as string keys (`embeds.0.title` is `{embeds: {"0": {title: {_errors}}}}`); an empty path is
 * the body itself.
 */
export function invalidFormBody(field: string | readonly (string | number)[], code: string, message: string) {
  const path = typeof field === 'string' ? [field] : field
  let tree: ErrorTree | FieldErrors = { _errors: [{ code, message }] }
  for (const key of [...path].reverse()) tree = { [String(key)]: tree }
  return new FakeApiError(400, { message: 'Invalid Form Body', code: 50035, errors: tree as ErrorTree })
}
