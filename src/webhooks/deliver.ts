import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { ForbiddenAddressError, forbiddenAddress, guardedLookup, type Resolve } from './address-guard.ts'
import { parseRetryAfter, type AttemptResult } from './retry-policy.ts'

export type PostOptions = {
  timeoutMs: number
  /** ALLOW_PRIVATE_WEBHOOKS: skip the address guard (tests reach loopback receivers). */
  allowPrivate: boolean
  /** The resolver the guard checks (the system's by default; tests give names their own addresses). */
  resolve?: Resolve
  /** Aborts the attempt when the service stops or the webhook is deleted. */
  signal: AbortSignal
  now: () => number
}

/**
 * One POST, no redirects followed (node:http never follows them), bounded by timeoutMs. node:http(s) rather than
 * fetch because fetch has no `lookup` hook: this way the guard sees every resolved address at connect time and
 * the connection goes to a checked one, with the URL's own Host header and TLS server name.
 */
export function postOnce(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: PostOptions,
): Promise<AttemptResult> {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  // A literal IP never reaches a lookup function: check it here.
  if (!options.allowPrivate && isIP(host)) {
    const why = forbiddenAddress(host)
    if (why !== null)
      return Promise.resolve({ kind: 'refused', message: new ForbiddenAddressError(host, host, why).message })
  }
  const timeout = AbortSignal.timeout(options.timeoutMs)
  const signal = AbortSignal.any([timeout, options.signal])
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve) => {
    const req = send(
      {
        protocol: url.protocol,
        host,
        port: url.port || undefined,
        path: url.pathname + url.search,
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        signal,
        ...(options.allowPrivate ? {} : { lookup: guardedLookup(options.resolve) }),
      },
      (res: IncomingMessage) => {
        // The answer's body is not read: drain it so the socket is freed.
        res.resume()
        const retryAfter = res.headers['retry-after']
        resolve({
          kind: 'answered',
          statusCode: res.statusCode ?? 0,
          retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, options.now()),
        })
      },
    )
    req.on('error', (err: Error) => {
      if (err instanceof ForbiddenAddressError || err.cause instanceof ForbiddenAddressError) {
        resolve({ kind: 'refused', message: err.message })
      } else if (timeout.aborted) resolve({ kind: 'timeout' })
      else resolve({ kind: 'network', message: describeNetworkError(err) })
    })
    req.end(body)
  })
}

/** A short, stable reason (ECONNREFUSED, ENOTFOUND, …) for the deliveries list: never a stack. */
function describeNetworkError(err: Error): string {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? `${code}: ${err.message}` : err.message
}
