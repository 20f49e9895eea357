import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startFakeDiscord, type FakeDiscord } from '../fake-discord/index.ts'
import { waitFor } from './support/stack.ts'

let discord: FakeDiscord
beforeAll(async () => {
  discord = await startFakeDiscord({ port: 0 })
})
afterAll(() => discord.stop())

async function drain(stream: ReadableStream<Uint8Array>, onText: (text: string) => void) {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) onText(decoder.decode(chunk.value))
}

/** The real entry point in its own process, as `npm start` runs it. */
async function startMain(env: Record<string, string>) {
  const child = Bun.spawn([process.execPath, 'src/main.ts'], {
    cwd: `${import.meta.dir}/..`,
    env: { ...Bun.env, PORT: '0', DISCORD_API_URL: discord.apiUrl, LOG_LEVEL: 'info', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  let stdout = ''
  let stderr = ''
  void drain(child.stdout, (text) => (stdout += text))
  void drain(child.stderr, (text) => (stderr += text))
  const url = await waitFor(() => /"url":"(http:[^"]+)"/.exec(stdout)?.[1], { timeoutMs: 10_000 })
  return { child, url, output: () => ({ stdout, stderr }) }
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
    const ready = await fetch(`${main.url}/readyz`).then((res) => res.status, () => 'refused')
    expect(ready).not.toBe(200)

    const reply = await inFlight
    expect(reply.status).toBe(200)
    expect(((await reply.json()) as unknown[]).length).toBe(5)
    expect(await main.child.exited).toBe(0)
    // the bot's client was destroyed: its gateway connection is closed, no orphan left behind
    expect(discord.counters().openConnections.alpha ?? 0).toBe(0)
    expect(main.output().stdout).toContain('shutting down')
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
    expect(await main.child.exited).toBe(1)
    expect(main.output().stdout).toContain('second signal')
    await stuck
    discord.control.clearFaults()
  })

  test('without ADMIN_TOKEN one is generated and printed once, on stderr, never in the log', async () => {
    const main = await startMain({ ADMIN_TOKEN: '' })
    try {
      const token = /admin token \(shown once\): (\S+)/.exec(main.output().stderr)?.[1]
      expect(token).toBeDefined()
      const admin = await fetch(`${main.url}/admin/workers`, { headers: { authorization: `Bearer ${token}` } })
      expect(admin.status).toBe(200)
      await fetch(`${main.url}/admin/workers`, { headers: { authorization: 'Bearer wrong' } })
      main.child.kill('SIGTERM')
      expect(await main.child.exited).toBe(0)
      expect(main.output().stdout).not.toContain(token!)
      expect(main.output().stderr.split(token!).length - 1).toBe(1)
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
    expect(await child.exited).toBe(1)
    expect(await new Response(child.stderr).text()).toContain('PORT')
  })
})
