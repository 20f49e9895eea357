import { invalidBudgetError } from './auth.ts'
import { AppError } from '../errors.ts'
import type { AnswerError } from './error-answer.ts'
import { sessionLabel } from '../log.ts'
import { recordRequest } from '../observability/request-log.ts'
import type { BotHandle } from '../pool/bot-types.ts'
import { sendAsBot, type SendRequest } from './routes/writes.ts'
import { JSON_HEADERS, sessionBot, splitUrl, type ShortPathDeps } from './short-path.ts'
import type { Session } from '../sessions/store.ts'
import { SendMessageBody } from './write-schemas.ts'

export type FastSendDeps = ShortPathDeps & {
  /** BODY_LIMIT_BYTES: a longer body is the full app's to refuse (413). */
  bodyLimitBytes: number
  /** The full app's error mapping and log line (error-answer.ts): an error answered here reads the same. */
  answerError: AnswerError
}

const ROUTE = '/api/messages'
const utf8 = new TextDecoder()

/**
 * The message of a body that is JSON and passes SendMessageBody, else null (the full app then says what is
 * wrong, in its words). Decoded as the app decodes it: UTF-8, a bad byte read as U+FFFD.
 */
function readMessage(bytes: ArrayBuffer): SendRequest['message'] | null {
  let json: unknown
  try {
    json = JSON.parse(utf8.decode(bytes))
  } catch {
    return null
  }
  const parsed = SendMessageBody.safeParse(json)
  return parsed.success ? parsed.data : null
}

/**
 * `POST /api/messages` without the Hono app: the session, the body's checks and the send itself as the route does
 * them (sendAsBot, SendMessageBody), minus the middleware chain, which cost the gateway's one thread ~30 µs of
 * its ~180 µs per send at 50 bots (README, Performance). Only an ordinary send comes here: JSON of a known length within the
 * limit, no Idempotency-Key, no CORS, a session the store knows at once whose bot is serving, the invalid-request
 * budget not spent. Anything else returns undefined before the body is read, and the full app answers. A body that
 * is not a valid send goes to the app too, rebuilt from the same bytes, so every 400 keeps the app's wording. What
 * the send itself meets (Discord's refusals, timeouts, a dying worker) is answered here through the app's own
 * error mapping.
 */
export function createFastSends(deps: FastSendDeps) {
  const { pool, sessions, metrics, log, budget, answerError } = deps

  const failed = (err: unknown, session: Session): Response => {
    const who = { session: sessionLabel(session.sessionId), bot: session.botId }
    const answer = answerError(err, { method: 'POST', route: ROUTE, who })
    const headers = new Headers(JSON_HEADERS)
    for (const [name, value] of Object.entries(answer.headers)) headers.set(name, value)
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers })
  }

  async function send(
    request: Request,
    { session, bot }: { session: Session; bot: BotHandle },
    viaApp: (request: Request) => Response | Promise<Response>,
  ): Promise<Response> {
    const startedAt = performance.now()
    let response: Response
    try {
      // a client that hangs up mid-body: nothing was sent, and the answer goes nowhere
      const bytes = await request.arrayBuffer().catch(() => {
        throw new AppError(400, 'bad_request', 'The request body could not be read')
      })
      const message = readMessage(bytes)
      if (!message) return viaApp(new Request(request.url, { method: 'POST', headers: request.headers, body: bytes }))
      const sent = await sendAsBot(bot, { url: request.url, message, idempotencyKey: undefined }, deps.publicUrl)
      const headers = new Headers(JSON_HEADERS)
      headers.set('Location', sent.location)
      response = new Response(sent.body, { status: 201, headers })
    } catch (err) {
      response = failed(err, session)
    }
    recordRequest(log, metrics, 'POST', ROUTE, response.status, performance.now() - startedAt, 'short', session)
    return response
  }

  /** The answer to an ordinary send, or undefined: the request, body unread, is the full app's (`viaApp`). */
  return function fastSend(
    request: Request,
    viaApp: (request: Request) => Response | Promise<Response>,
  ): Promise<Response> | undefined {
    if (request.method !== 'POST') return undefined
    const { path, query } = splitUrl(request.url)
    if (path !== ROUTE || query !== '') return undefined
    const headers = request.headers
    if (headers.has('idempotency-key') || (deps.corsEnabled && headers.has('origin'))) return undefined
    if (headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() !== 'application/json') return undefined
    // a chunked body (no Content-Length) or one over the limit: the app's bodyLimit counts and refuses it
    const length = headers.get('content-length')
    if (length === null || !/^\d+$/.test(length) || Number(length) > deps.bodyLimitBytes) return undefined
    const found = sessionBot(request, sessions, pool)
    if (!found || found.bot.refusal() !== undefined || invalidBudgetError(budget)) return undefined
    return send(request, found, viaApp)
  }
}
