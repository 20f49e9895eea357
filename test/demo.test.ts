import { describe, expect, test } from 'bun:test'
import { waitFor } from './support/stack.ts'

describe('bun run demo', () => {
  test('starts the fake Discord and the service, prints demo tokens and a curl line that works', async () => {
    const child = Bun.spawn([process.execPath, 'scripts/demo.ts'], {
      cwd: `${import.meta.dir}/..`,
      env: { ...Bun.env, PORT: '0' },
      stdout: 'pipe',
    })
    try {
      const reader = child.stdout.getReader()
      let output = ''
      await waitFor(async () => {
        const chunk = await reader.read()
        output += new TextDecoder().decode(chunk.value)
        return output.includes('API docs')
      }, { timeoutMs: 15_000 })
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
      expect(await child.exited).toBe(0)
    }
  })
})
