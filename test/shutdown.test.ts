import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { startFakeDiscord, type FakeDiscord } from '../fake-discord/index.ts'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loginOver, mainProcesses } from './support/main-process.ts'
import { waitFor, withDeadline } from './support/stack.ts'

let discord: FakeDiscord
beforeAll(async () => {
  discord = await startFakeDiscord({ port: 0 })
})
const dataDir = mkdtempSync(join(tmpdir(), 'botvisor-shutdown-'))
afterAll(async () => {
  await discord.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

// A test that fails half-way must not leave its service running: each child it started is killed, by pid.
const mains = mainProcesses()
afterEach(() => mains.killAll())

/** The real entry point in its own process: `bun src/main.ts`, or `npm start` exactly as users type it. */
const startMain = (env: Record<string, string>, command?: string[]) =>
  // a generated admin token is written under DATA_DIR: never into the working tree
  mains.start({ DISCORD_API_URL: discord.apiUrl, DATA_DIR: dataDir, ...env }, command)

/** Every wait on another process is bounded: a child that ignores its signal fails the test instead of hanging it. */
const exitCode = (child: { exited: Promise<number> }) => withDeadline(child.exited, 20_000, 'the process exiting')

/** Pids whose parent is `pid`, read from /proc/<pid>/stat (the 4th field, after the parenthesised name). */
function childrenOf(pid: number): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry))
    } catch {
      // the process ended while we listed
    }
  }
  return found
}

/** Alive and not a zombie: a zombie has exited and holds no port or socket. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

describe('graceful shutdown', () => {
  test('SIGTERM: the in-flight request completes, every bot logs out, the process exits 0', async () => {
    const main = await startMain({})
    const login = await fetch(`${main.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: discord.tokens.alpha }),
    })
    const { sessionId } = (await login.json()) as { sessionId: string }
    expect(discord.counters().openConnections.alpha).toBe(1)

    discord.control.failRest({ route: 'GET /channels/:id/messages', delayMs: 800, count: 1 })
    const inFlight = fetch(`${main.url}/api/messages?channelId=${discord.world.ids.generalChannel}&limit=5`, {
      headers: { authorization: sessionId },
    })
    await waitFor(() => (discord.counters().rest.alpha?.['GET /channels/:id/messages'] ?? 0) > 0)
    main.child.kill('SIGTERM')
    await waitFor(() => main.output().stdout.includes('shutting down'))
    // no longer ready: either refused outright or 503
    const ready = await fetch(`${main.url}/readyz`).then(
      (res) => res.status,
      () => 'refused',
    )
    expect(ready).not.toBe(200)

    const reply = await withDeadline(inFlight, 20_000, 'the in-flight request')
    expect(reply.status).toBe(200)
    expect(((await reply.json()) as unknown[]).length).toBe(5)
    expect(await exitCode(main.child)).toBe(0)
    // the bot's client was destroyed: its gateway connection is closed, no orphan left behind
    expect(discord.counters().openConnections.alpha ?? 0).toBe(0)
    expect((await main.outputAtExit()).stdout).toContain('shutting down')
  })

  test('a second signal exits at once, without waiting for the grace period', async () => {
    const main = await startMain({ SHUTDOWN_GRACE_MS: '60000' })
    const login = await fetch(`${main.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: discord.tokens.beta }),
    })
    const { sessionId } = (await login.json()) as { sessionId: string }
    discord.control.failRest({ route: 'GET /channels/:id/messages', hang: true, count: 1 })
    const stuck = fetch(`${main.url}/api/messages?channelId=${discord.world.ids.generalChannel}`, {
      headers: { authorization: sessionId },
    }).catch(() => 'aborted')
    await waitFor(() => (discord.counters().rest.beta?.['GET /channels/:id/messages'] ?? 0) > 0)
    main.child.kill('SIGTERM')
    await waitFor(() => main.output().stdout.includes('shutting down'))
    main.child.kill('SIGTERM')
    expect(await exitCode(main.child)).toBe(1)
    expect((await main.outputAtExit()).stdout).toContain('second signal')
    await withDeadline(stuck, 20_000, 'the cut-off request')
    discord.control.clearFaults()
    await waitFor(() => (discord.counters().openConnections.beta ?? 0) === 0) // gone with the process
  })

  test('without ADMIN_TOKEN one is generated into DATA_DIR/admin-token (mode 600), never printed to a pipe or the log', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'botvisor-data-'))
    const main = await startMain({ ADMIN_TOKEN: '', DATA_DIR: join(dataDir, 'nested') })
    try {
      const file = join(dataDir, 'nested', 'admin-token')
      await waitFor(() => main.output().stderr.includes(`admin token is in ${file} (mode 600)`))
      expect(statSync(file).mode & 0o777).toBe(0o600)
      const token = readFileSync(file, 'utf8').trim()
      expect(token.length).toBeGreaterThanOrEqual(16)
      const admin = await fetch(`${main.url}/admin/workers`, { headers: { authorization: `Bearer ${token}` } })
      expect(admin.status).toBe(200)
      await fetch(`${main.url}/admin/workers`, { headers: { authorization: 'Bearer wrong' } })
      main.child.kill('SIGTERM')
      expect(await exitCode(main.child)).toBe(0)
      // stderr is a pipe here, as in `npm start 2>&1 | tee log`: the token is in neither stream
      const { stdout, stderr } = await main.outputAtExit()
      expect(stdout).not.toContain(token)
      expect(stderr).not.toContain(token)
    } finally {
      main.child.kill('SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  for (const [signal, bot] of [
    ['SIGTERM', 'gamma'],
    ['SIGINT', 'solo'],
  ] as const) {
    test(`npm start: ${signal} to the npm process reaches the service, which logs its bots out and exits 0, leaving no process`, async () => {
      const main = await startMain({}, ['npm', 'start'])
      const services = [...childrenOf(main.child.pid), ...childrenOf(main.child.pid).flatMap(childrenOf)]
      try {
        await loginOver(main.url, discord.tokens[bot])
        expect(discord.counters().openConnections[bot]).toBe(1)
        expect(services).toHaveLength(1) // npm → bun: the start script execs, no shell in between
        main.child.kill(signal)
        expect(await exitCode(main.child)).toBe(0)
        expect((await main.outputAtExit()).stdout).toContain(`"signal":"${signal}"`)
        await waitFor(() => (discord.counters().openConnections[bot] ?? 0) === 0)
        await waitFor(() => !isRunning(services[0]!))
      } finally {
        main.child.kill('SIGKILL')
        // a failed run must not leave the service behind: only the processes this test started, by pid
        for (const pid of services) if (isRunning(pid)) process.kill(pid, 'SIGKILL')
      }
    })
  }

  test('SHUTDOWN_DRAIN_MS: after SIGTERM /readyz answers 503 while requests on new connections are still served', async () => {
    const main = await startMain({ SHUTDOWN_DRAIN_MS: '600000' })
    try {
      const sessionId = await loginOver(main.url, discord.tokens.alpha)
      main.child.kill('SIGTERM')
      await waitFor(async () => (await fetch(`${main.url}/readyz`, { keepalive: false })).status === 503, {
        timeoutMs: 10_000,
      })
      const guilds = await fetch(`${main.url}/api/guilds`, { headers: { authorization: sessionId }, keepalive: false })
      expect(guilds.status).toBe(200)
      const channels = await fetch(`${main.url}/api/channels?guildId=${discord.world.ids.bigGuild}`, {
        headers: { authorization: sessionId },
        keepalive: false,
      })
      expect(channels.status).toBe(200)
      // the line is written when the signal arrives, and reaches this process through a pipe: it may trail /readyz
      await waitFor(() => main.output().stdout.includes('still serving while draining'))
      main.child.kill('SIGTERM') // a second signal ends the drain at once
      expect(await exitCode(main.child)).toBe(1)
      await waitFor(() => (discord.counters().openConnections.alpha ?? 0) === 0) // gone with the process
    } finally {
      main.child.kill('SIGKILL')
    }
  })

  test('a bad configuration stops start-up naming the variable', async () => {
    const child = Bun.spawn([process.execPath, 'src/main.ts'], {
      cwd: `${import.meta.dir}/..`,
      env: { ...Bun.env, PORT: 'nope' },
      stderr: 'pipe',
    })
    expect(await exitCode(child)).toBe(1)
    expect(await new Response(child.stderr).text()).toContain('PORT')
  })
})
