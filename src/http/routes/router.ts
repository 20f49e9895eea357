import { OpenAPIHono } from '@hono/zod-openapi'
import type { Context, TypedResponse } from 'hono'
import type { AppEnv } from '../env.ts'
import { AppError } from '../../errors.ts'
import type { JsonText, RpcResult } from '../../contract.ts'
import { fromRpcFailure } from '../../errors.ts'

/** A route group whose validation failures become our 400 with the first problem named. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return
      const issue = result.error.issues[0]
      const where = issue?.path.length ? `${fieldPath(issue.path)}: ` : ''
      throw new AppError(400, 'bad_request', `${where}${issue?.message ?? 'invalid input'}`)
    },
  })
}

/** `embeds[0].fields[2].name`: a field's path as a client writes it in JavaScript. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i > 0 ? '.' : ''}${String(key)}`)).join('')
}

/** The worker's answer, or the error Discord's answer maps to. */
export function unwrap<T>(result: RpcResult<T>): T {
  if (result.ok) return result.value
  throw fromRpcFailure(result)
}

/** A body the worker already serialized goes out untouched: no parse, no stringify on the gateway thread. */
export function sendJsonText<Status extends 200 | 201 = 200>(
  c: Context,
  body: JsonText,
  headers?: Record<string, string>,
  status = 200 as Status,
) {
  const response = c.body(body, status, { 'content-type': 'application/json', ...headers })
  // The string is JSON of the route's declared schema (the worker built it from the same shapes):
  // say so to the typed router, which otherwise only knows c.json's objects.
  return response as unknown as TypedResponse<never, Status, 'json'>
}

/**
 * An absolute URL for a path and query of this API: under PUBLIC_URL when set, else at the request's own origin
 * (its Host was checked well formed before routing, src/http/host.ts), as GitHub's API does.
 */
export function absoluteUrl(requestUrl: string, pathAndQuery: string, publicUrl: string | null): string {
  return publicUrl === null ? new URL(pathAndQuery, requestUrl).href : publicUrl + pathAndQuery
}

/**
 * RFC 8288 next-page link: the same request with the cursor parameter moved on, as an absolute URL, so a
 * client can follow it without knowing where it called.
 */
export function nextLink(
  url: string,
  cursorParam: string,
  cursor: string | null,
  publicUrl: string | null,
): Record<string, string> {
  if (cursor === null) return {}
  const next = new URL(url)
  next.searchParams.set(cursorParam, cursor)
  return { link: `<${absoluteUrl(url, next.pathname + next.search, publicUrl)}>; rel="next"` }
}
