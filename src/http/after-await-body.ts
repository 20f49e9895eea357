import type { Context, TypedResponse } from 'hono'
import type { JsonText } from '../contract.ts'

/**
 * Bun 1.4.4 corks a response's writes (one send() for status line, headers and body) only while the request's
 * own handler runs, or when the whole response fits the 16 KB cork buffer. A larger body answered after an await
 * (an RPC to the worker) goes out uncorked: each header's name, `: `, value and CRLF is a send() of its own
 * (15 per response, counted with strace), 2.8k req/s against 53k for the same 16 KB sent on the request's tick.
 * Upstream: oven-sh/bun#41341 ("Cork every HttpResponse write so post-await responses leave in one send()",
 * open). The workaround: such a body goes out as a direct stream written in pieces smaller than the cork buffer,
 * which Bun corks, so the response leaves in one send() (strace: 1 per response) and the rate measured 0.75–1.3×
 * the same bytes sent on the request's tick (README, Performance). The bytes of the body are the same; the
 * framing is chunked (no Content-Length), which every HTTP/1.1 client reads.
 */
export const CORKED_BODY_BYTES = 14 * 1024
const PIECE_BYTES = 8 * 1024
const encoder = new TextEncoder()
type DirectStreamConstructor = new (source: Bun.DirectUnderlyingSource<Uint8Array>) => ReadableStream<Uint8Array>

/** A JSON body as it should leave after an await: unchanged when small, else in corked pieces (see above). */
export function bodyAfterAwait(body: JsonText): JsonText | ReadableStream<Uint8Array> {
  // a string's length in UTF-16 units is at most its UTF-8 length: shorter than this, the body surely fits
  if (body.length < CORKED_BODY_BYTES / 3) return body
  const bytes = encoder.encode(body)
  if (bytes.length < CORKED_BODY_BYTES) return body
  const source: Bun.DirectUnderlyingSource<Uint8Array> = {
    type: 'direct',
    async pull(controller) {
      for (let at = 0; at < bytes.length; at += PIECE_BYTES) controller.write(bytes.subarray(at, at + PIECE_BYTES))
      await controller.end()
    },
  }
  // the DOM typings' constructor wins over Bun's direct-source overload
  return new (ReadableStream as unknown as DirectStreamConstructor)(source)
}

/** sendJsonText (routes/router.ts) for a body the worker answered after an await: see bodyAfterAwait. */
export function sendJsonTextAfterAwait(c: Context, body: JsonText, headers?: Record<string, string>) {
  const response = c.body(bodyAfterAwait(body), 200, { 'content-type': 'application/json', ...headers })
  return response as unknown as TypedResponse<never, 200, 'json'>
}
