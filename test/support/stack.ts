import { Writable } from 'node:stream'
import { loadConfig } from '../../src/config.ts'
import { createLogger } from '../../src/log.ts'
import { countWorkerThreads } from '../../src/observability/worker-threads.ts'
import { botKeyOf } from '../../src/pool/pool.ts'
import { startService, type Service } from '../../src/service.ts'
import { startFakeDiscord, type FakeDiscord } from '../../fake-discord/index.ts'
import { expectDocumented } from './openapi-check.ts'

export type Reply<T = any> = { status: number; headers: Headers; json: T; text: string }

/** The fake Discord and the real service, both on loopback port 0, with every log line captured. */
export type Stack = {
  discord: FakeDiscord
  service: Service
  url: string
  logs: string[]
  /** Every response body the tests saw, for the leak scans. */
  bodies: string[]
  request(
    method: string,
    path: string,
    options?: { sessionId?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Reply>
  get(path: string, sessionId?: string): Promise<Reply>
  post(path: string, body: unknown, sessionId?: string): Promise<Reply>
  login(token: string): Promise<{ sessionId: string; reply: Reply }>
  stop(): Promise<void>
}

/**
 * Worker threads cannot be told apart by stack, and a test may start a second stack inside the first (whose pool
 * may spawn meanwhile): the count is checked when the last live stack stops, against the level before the first.
 */
const threadBook = { liveStacks: 0, before: null as number | null }

export async function startStack(
  env: Record<string, string> = {},
  options: Parameters<typeof startService>[2] = {},
): Promise<Stack> {
  if (threadBook.liveStacks++ === 0) threadBook.before = countWorkerThreads()
  const discord = await startFakeDiscord({ port: 0 })
  const logs: string[] = []
  const bodies: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk))
      done()
    },
  })
  const config = loadConfig({
    PORT: '0',
    DISCORD_API_URL: discord.apiUrl,
    LOG_LEVEL: 'debug',
    LOGIN_TIMEOUT_MS: '5000',
    RPC_TIMEOUT_MS: '3000',
    // every test client is 127.0.0.1: the per-IP login limits are tested with their own settings (login-limits.test.ts)
    LOGIN_BURST: '100000',
    LOGIN_PER_MINUTE: '100000',
    LOGIN_MAX_PENDING_PER_IP: '10000',
    ...env,
  })
  const service = startService(config, createLogger(config.LOG_LEVEL, sink), options)

  async function request(
    method: string,
    path: string,
    options: { sessionId?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers }
    if (options.sessionId) headers.authorization = options.sessionId
    let body: string | undefined
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
      headers['content-type'] ??= 'application/json'
    }
    const res = await fetch(service.url + path, { method, headers, body })
    const text = await res.text()
    bodies.push(text)
    await expectDocumented(service.url, method, path, res, text) // the document cannot drift from what is sent
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: res.status, headers: res.headers, json, text }
  }

  return {
    discord,
    service,
    url: service.url,
    logs,
    bodies,
    request,
    get: (path, sessionId) => request('GET', path, { sessionId }),
    post: (path, body, sessionId) => request('POST', path, { sessionId, body }),
    async login(token) {
      const reply = await request('POST', '/api/auth/login', { body: { token } })
      if (reply.status !== 200) throw new Error(`login failed: ${reply.status} ${reply.text}`)
      return { sessionId: reply.json.sessionId as string, reply }
    },
    async stop() {
      const last = --threadBook.liveStacks === 0
      await service.stop()
      // Read the world, not the pool that stop() has just emptied: Discord's side of each bot's gateway
      // connection and the worker threads that exist in this process.
      try {
        await waitFor(() => openGatewayConnections(discord) === 0, { timeoutMs: 10_000 })
      } catch {
        throw new Error(
          `${openGatewayConnections(discord)} gateway connection(s) still open at the fake Discord after stop`,
        )
      } finally {
        await discord.stop()
      }
      const before = threadBook.before
      if (!last || before === null) return
      try {
        await waitFor(() => (countWorkerThreads() ?? 0) <= before, { timeoutMs: 10_000 })
      } catch {
        throw new Error(`${countWorkerThreads()} worker thread(s) alive after stop, ${before} before the stack started`)
      }
    },
  }
}

/**
 * A second service on the stack's fake Discord, silent, logged in as `token`: the tests that compare two
 * settings run one beside the stack's. Stop it before the stack (the stack's stop counts the worker threads).
 */
export async function startBeside(
  stack: Stack,
  env: Record<string, string>,
  token: string,
): Promise<{ service: Service; sessionId: string }> {
  const service = startService(
    loadConfig({
      PORT: '0',
      DISCORD_API_URL: stack.discord.apiUrl,
      LOG_LEVEL: 'silent',
      WARM_SPARE_WORKERS: '0',
      ...env,
    }),
    createLogger('silent'),
  )
  const login = await fetch(`${service.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  })
  return { service, sessionId: ((await login.json()) as { sessionId: string }).sessionId }
}

/** Which path answered each request logged since `before` (its log line's `via`): 'short' or 'app'. */
export const answeredSince = (stack: Stack, before: number): string[] =>
  stack.logs
    .slice(before)
    .map((line) => JSON.parse(line))
    .filter((line) => line.msg === 'request')
    .map((line) => line.via)

const sumOf = (levels: Partial<Record<string, number>>) =>
  Object.values(levels).reduce<number>((sum, n) => sum + (n ?? 0), 0)
const openGatewayConnections = (discord: FakeDiscord) => sumOf(discord.counters().openConnections)

/** Settles like `work`, or rejects once `ms` have passed: a wait that cannot hang. */
export async function withDeadline<T>(work: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), Math.max(0, ms))
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Polls until check() passes or the bound runs out; no sleeps standing in for synchronisation. Each check is
 * raced against the time left, so a check that itself hangs (a read that never returns) still ends the wait.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 5000, intervalMs = 20 } = {},
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await withDeadline(Promise.resolve().then(check), deadline - Date.now(), 'a waitFor check')
      if (value) return value as Exclude<T, undefined | null | false>
    } catch (err) {
      lastError = err
    }
    await Bun.sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())))
  }
  throw lastError instanceof Error ? lastError : new Error(`condition not met within ${timeoutMs} ms`)
}

/**
 * Crashes the bot's worker through the test hook (WORKER_TEST_HOOKS=1, the `exit` fault) and waits until a new
 * worker serves it; returns that worker's snapshot.
 */
export async function crashAndWait(s: Stack, token: string, timeoutMs = 15_000) {
  const bot = s.service.pool.get(botKeyOf(token))
  if (!bot) throw new Error('the bot is not running')
  const restarts = s.service.pool.snapshot(bot.workerId)?.restarts ?? 0
  await bot.call((worker) => worker.injectFault('exit'))
  return waitFor(
    () => {
      const snapshot = s.service.pool.snapshot(bot.workerId)
      return snapshot && snapshot.restarts > restarts && snapshot.state === 'ready' ? snapshot : undefined
    },
    { timeoutMs },
  )
}

/** A `before` past every snowflake: the read returns the newest messages but skips the worker's cache, so it reaches Discord. */
export const VIA_DISCORD = 'before=9000000000000000000'
