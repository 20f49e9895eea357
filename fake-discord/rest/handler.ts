import type { CounterBook } from '../counters.ts'
import type { FaultBook } from '../faults.ts'
import type { RateLimiter } from '../rate-limits.ts'
import type { BotRecord } from '../world/types.ts'
import type { RestDeps, Reply } from './context.ts'
import { apiErrors, FakeApiError } from './errors.ts'
import { checkSnowflake } from './query.ts'
import { matchRoute, type RouteMatch } from './routes.ts'

export interface RestHandlerDeps extends RestDeps {
  counters: CounterBook
  faults: FaultBook
  limiter: RateLimiter
  /** The bot a token stands for, or null when Discord would answer 401 (unknown, reset or revoked). */
  botOfToken(token: string | null): BotRecord | null
  /** Aborted when the fake stops, so hung requests end with it. */
  stopSignal: AbortSignal
}

const WITH_BODY = new Set(['POST', 'PATCH', 'PUT'])

/** Every `/api[/vN]/…` request: route, auth, injected faults, rate limits, validation, handler, headers. */
export function createRestHandler(deps: RestHandlerDeps): (req: Request, path: string) => Promise<Response> {
  return async function handleRest(req, path) {
    const bot = deps.botOfToken(tokenOf(req.headers.get('authorization')))
    const route = matchRoute(req.method, path)
    const routeKey = route.kind === 'found' ? route.key : `${req.method} (unmatched)`
    deps.counters.countRest(bot?.name ?? null, routeKey)
    const identity = bot?.name ?? 'anonymous'
    if (route.kind !== 'found') {
      const limit = deps.limiter.take(identity, routeKey, '')
      const error = route.kind === 'notFound' ? apiErrors.notFound() : apiErrors.methodNotAllowed()
      return respond({ status: error.status, body: error.body }, limit.headers)
    }
    if (!bot)
      return respond(
        { status: 401, body: apiErrors.unauthorized().body },
        deps.limiter.take(identity, routeKey, route.majorId).headers,
      )

    const fault = deps.faults.take(bot.name, route.key)
    if (fault?.hang) return hangUntilAborted(req.signal, deps.stopSignal)
    if (fault?.status) {
      if (fault.delayMs) await waitUnlessAborted(fault.delayMs, req.signal, deps.stopSignal)
      // injected 5xx look like Discord's edge failing: no rate-limit headers, as Cloudflare's errors have none
      return respond({ status: fault.status, body: { message: `${fault.status}: Upstream error`, code: 0 } }, {})
    }
    const response = await answer(req, route, bot)
    // A slow Discord has done the work when it accepted the request; only its answer is late. So a retry
    // made while the first answer is still on its way finds the message the first request created.
    if (fault?.delayMs) await waitUnlessAborted(fault.delayMs, req.signal, deps.stopSignal)
    return response
  }

  async function answer(
    req: Request,
    route: Extract<RouteMatch, { kind: 'found' }>,
    bot: BotRecord,
  ): Promise<Response> {
    const limit = deps.limiter.take(bot.name, route.key, route.majorId)
    if (limit.limited) {
      deps.counters.count429()
      const body = {
        message: 'You are being rate limited.',
        retry_after: Number((limit.limited.retryAfterMs / 1000).toFixed(3)),
        global: limit.limited.global,
      }
      return respond({ status: 429, body }, limit.headers)
    }
    try {
      for (const [name, value] of Object.entries(route.params)) if (name !== 'emoji') checkSnowflake(name, value)
      const body = WITH_BODY.has(req.method) ? await readBody(req) : undefined
      const query = new URL(req.url).searchParams
      const reply = await route.handler({ ...deps, bot, params: route.params, query, body })
      return respond(reply, limit.headers)
    } catch (error) {
      if (error instanceof FakeApiError) return respond({ status: error.status, body: error.body }, limit.headers)
      console.error('fake-discord: handler bug', error) // the fake's own bug: visible in the test output
      return respond({ status: 500, body: { message: '500: Internal Server Error', code: 0 } }, limit.headers)
    }
  }
}

function tokenOf(header: string | null): string | null {
  const match = /^Bot\s+(\S+)$/i.exec(header?.trim() ?? '')
  return match?.[1] ?? null
}

function respond(reply: Reply, headers: Record<string, string>): Response {
  if (reply.body === undefined) return new Response(null, { status: reply.status, headers })
  return Response.json(reply.body, { status: reply.status, headers })
}

/** JSON, or multipart with the JSON in `payload_json` (how discord.js sends messages with files). */
async function readBody(req: Request): Promise<unknown> {
  const type = req.headers.get('content-type') ?? ''
  if (type.startsWith('multipart/form-data')) {
    const form = await req.formData()
    const json = form.get('payload_json')
    return typeof json === 'string' ? parseJson(json) : {}
  }
  const text = await req.text()
  return text === '' ? {} : parseJson(text)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw apiErrors.invalidJson()
  }
}

/** A late answer: not later than the client's giving up or the fake's stop, so no timer outlives either. */
function waitUnlessAborted(ms: number, clientSignal: AbortSignal, stopSignal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      clientSignal.removeEventListener('abort', done)
      stopSignal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    if (clientSignal.aborted || stopSignal.aborted) return done()
    clientSignal.addEventListener('abort', done, { once: true })
    stopSignal.addEventListener('abort', done, { once: true })
  })
}

/** A request that never gets an answer: it ends when the client gives up or the fake stops. */
function hangUntilAborted(clientSignal: AbortSignal, stopSignal: AbortSignal): Promise<Response> {
  return new Promise((resolve) => {
    const done = () => resolve(new Response(null, { status: 499 }))
    if (clientSignal.aborted || stopSignal.aborted) return done()
    clientSignal.addEventListener('abort', done, { once: true })
    stopSignal.addEventListener('abort', done, { once: true })
  })
}
