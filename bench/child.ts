/**
 * The child side of the bench's processes: announce what the parent needs as one JSON line on stdout, serve a
 * tiny control API on loopback, and end when the parent does (its end of our stdin closes).
 */

/** The first line a child prints is the parent's handshake (procs.ts reads it). */
export function announce(info: unknown): void {
  process.stdout.write(`${JSON.stringify(info)}\n`)
}

/** A killed parent never signals us: its pipe closing is the one notice we get. */
export function exitWithParent(onExit: () => Promise<void> | void = () => {}): void {
  const done = async () => {
    await Promise.race([onExit(), Bun.sleep(3_000)]) // a stuck shutdown must not outlive the parent for long
    process.exit(0)
  }
  void (async () => {
    const reader = Bun.stdin.stream().getReader()
    while (!(await reader.read()).done) {
      // the parent never writes; only EOF ends the loop
    }
    await done()
  })()
  process.on('SIGTERM', () => void done())
  process.on('SIGINT', () => void done())
}

export type ControlRoutes = Record<string, (body: unknown) => Promise<unknown> | unknown>

/** `POST /<name>` with a JSON body runs routes[name]; the answer is its JSON result. Loopback only. */
export function serveControl(routes: ControlRoutes): string {
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    development: false,
    async fetch(req) {
      const route = routes[new URL(req.url).pathname.slice(1)]
      if (!route) return Response.json({ error: 'no such control route' }, { status: 404 })
      try {
        const text = await req.text()
        return Response.json((await route(text ? JSON.parse(text) : undefined)) ?? {})
      } catch (err) {
        return Response.json({ error: err instanceof Error ? err.message : String(err) }, { status: 500 })
      }
    },
  })
  return `http://127.0.0.1:${server.port}`
}

/**
 * RSS once garbage is collected and the allocator has settled: a full GC, a pause for the workers' own
 * collectors and timers (Bun.gc reaches only this thread's heap), a second GC. Sampled a few times: the minimum,
 * since a sample can land on a heartbeat's transient allocations.
 */
export async function settledRss(settleMs: number): Promise<number> {
  Bun.gc(true)
  await Bun.sleep(settleMs)
  const samples: number[] = []
  for (let i = 0; i < 3; i++) {
    Bun.gc(true)
    samples.push(process.memoryUsage().rss)
    await Bun.sleep(100)
  }
  return Math.min(...samples)
}
