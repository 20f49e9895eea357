import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { renderTable } from '../scripts/status-table.ts'
import { startStack, type Stack } from './support/stack.ts'

const ADMIN_TOKEN = 'status-admin-token-0123456789'
let stack: Stack
beforeAll(async () => {
  stack = await startStack({ ADMIN_TOKEN })
  await stack.login(stack.discord.tokens.solo)
})
afterAll(() => stack.stop())

const runStatus = async (env: Record<string, string>) => {
  const child = Bun.spawn([process.execPath, 'scripts/status.ts'], {
    cwd: `${import.meta.dir}/..`,
    env: { ...Bun.env, BOTVISOR_URL: stack.url, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  return { stdout, stderr, code }
}

describe('bun run status', () => {
  test('prints one plain-text row per worker when not on a terminal', async () => {
    const { stdout, code } = await runStatus({ ADMIN_TOKEN })
    expect(code).toBe(0)
    const [header, row] = stdout.trim().split('\n')
    expect(header).toStartWith('id')
    expect(row).toContain(stack.discord.world.bots.solo.user.username)
    expect(row).toContain('ready')
    expect(stdout).not.toContain('\x1b[')
  })

  test('a wrong admin token is an error on stderr and exit code 1', async () => {
    const { stderr, code } = await runStatus({ ADMIN_TOKEN: 'wrong' })
    expect(code).toBe(1)
    expect(stderr).toContain('401')
  })

  test('colours the state when asked', () => {
    const row = {
      workerId: 'w1',
      botId: '1',
      botName: 'bot',
      state: 'failed',
      sessions: 1,
      uptimeMs: 0,
      restarts: 6,
      lastExit: null,
      lastError: 'too many restarts',
      gatewayPingMs: null,
      guildCount: 2,
      heapUsedBytes: 1_048_576,
      rpcLatencyMs: { p50: null, p99: null },
      eventsPerSecond: 0,
      discordRestCalls: 3,
      discordRateLimited: 0,
      identifiesLeft: 990,
    }
    expect(renderTable([row], true)).toContain('\x1b[31mfailed')
    expect(renderTable([row], false)).toContain('too many restarts')
  })
})
