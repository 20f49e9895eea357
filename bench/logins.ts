export type LoginRun = { sessions: string[]; latenciesMs: number[]; wallMs: number }

/**
 * Logs tokens in with at most `concurrency` logins in flight (a burst of hundreds would only queue behind the
 * worker spawns, which are CPU-bound: docs/facts.md). Any failed login stops the bench: its numbers would be wrong.
 */
export async function loginAll(url: string, tokens: readonly string[], concurrency: number): Promise<LoginRun> {
  const sessions: string[] = new Array(tokens.length)
  const latenciesMs: number[] = []
  let next = 0
  const startedAt = performance.now()
  const lane = async () => {
    while (next < tokens.length) {
      const index = next++
      const began = performance.now()
      sessions[index] = await loginOnce(url, tokens[index] ?? '')
      latenciesMs.push(performance.now() - began)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, tokens.length) }, lane))
  return { sessions, latenciesMs, wallMs: performance.now() - startedAt }
}

/** One login at a time, `gapMs` apart: what a login costs while the service is otherwise idle (warm spare ready). */
export async function loginOneByOne(url: string, tokens: readonly string[], gapMs: number): Promise<LoginRun> {
  const runs: LoginRun[] = []
  for (const token of tokens) {
    await Bun.sleep(gapMs)
    runs.push(await loginAll(url, [token], 1))
  }
  return {
    sessions: runs.flatMap((run) => run.sessions),
    latenciesMs: runs.flatMap((run) => run.latenciesMs),
    wallMs: runs.reduce((sum, run) => sum + run.wallMs, 0),
  }
}

async function loginOnce(url: string, token: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
    signal: AbortSignal.timeout(60_000),
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${text.slice(0, 200)}`)
  return (JSON.parse(text) as { sessionId: string }).sessionId
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
}
