import { describe, expect, test } from 'bun:test'
import { waitFor, withDeadline } from './support/stack.ts'

describe('bun run demo', () => {
  test('starts the fake Discord and the service, prints demo tokens and a curl line that works', async () => {
    const child = Bun.spawn([process.execPath, 'scripts/demo.ts'], {
      cwd: `${import.meta.dir}/..`,
      env: { ...Bun.env, PORT: '0' },
      stdout: 'pipe',
    })
    try {
      // read in the background: a read() awaited inside waitFor could outlive its deadline
      let output = ''
      void (async () => {
        const reader = child.stdout.getReader()
        const decoder = new TextDecoder()
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
          output += decoder.decode(chunk.value)
      })()
      await waitFor(() => output.includes('API docs'), { timeoutMs: 15_000 })
      const apiUrl = /API on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
      const token = /"token":"([^"]+)"/.exec(output)?.[1]
      expect(apiUrl).toBeDefined()
      expect(token).toBeDefined()
      const login = await fetch(`${apiUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      })
      expect(login.status).toBe(200)
      const { sessionId } = (await login.json()) as { sessionId: string }
      expect((await fetch(`${apiUrl}/api/guilds`, { headers: { authorization: sessionId } })).status).toBe(200)
    } finally {
      child.kill('SIGINT')
      const code = await withDeadline(child.exited, 15_000, 'the demo exiting on SIGINT').catch((err: unknown) => {
        child.kill('SIGKILL')
        throw err
      })
      expect(code).toBe(0)
    }
  })
})
