import type { RouterRoute } from 'hono/types'

/** Tells which methods a path has, so a wrong method gets 405 with Allow instead of a bare 404. */
export function createMethodCheck(routes: readonly RouterRoute[]): (path: string) => string[] {
  // Middleware ('ALL') is not a route: only real method handlers count.
  const table = routes
    .filter((route) => route.method !== 'ALL')
    .map((route) => ({
      method: route.method,
      // exact, as Hono's router matches: `/api/guilds/` is not `/api/guilds` (the 404 names the one meant)
      pattern: new RegExp(`^${route.path.replace(/:[^/]+/g, '[^/]+').replace(/\*/g, '.*')}$`),
    }))
  return (path) => [...new Set(table.filter((route) => route.pattern.test(path)).map((route) => route.method))]
}
