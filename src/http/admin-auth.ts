import { timingSafeEqual } from 'node:crypto'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from './env.ts'
import { AppError } from '../errors.ts'

const digest = (text: string) => new Bun.CryptoHasher('sha256').update(text).digest()

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time: both sides are hashed first so
 * neither the content nor the length of the token leaks through timing.
 */
export function requireAdmin(adminToken: string) {
  const expected = digest(adminToken)
  return createMiddleware<AppEnv>(async (c, next) => {
    const presented = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization')?.trim() ?? '')?.[1] ?? ''
    if (!timingSafeEqual(digest(presented), expected)) {
      throw new AppError(401, 'unauthorized', 'Admin routes need Authorization: Bearer <ADMIN_TOKEN>', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      })
    }
    await next()
  })
}
