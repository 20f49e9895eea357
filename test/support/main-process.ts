import type { Subprocess } from 'bun'
import { waitFor, withDeadline } from './stack.ts'

/** The service as users run it, `bun src/main.ts`, in its own process; its output kept for the assertions. */
export type MainProcess = {
  child: Subprocess<'ignore', 'pipe', 'pipe'>
  url: string
  /** What the process wrote so far: a line may still be in the pipe, so wait for it rather than expect it. */
  output(): { stdout: string; stderr: string }
  /** Everything the process wrote, once it has exited and both pipes are read to their end. */
  outputAtExit(): Promise<{ stdout: string; stderr: string }>
  /** Sends the signal and waits (bounded) for the exit code. */
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<number | null>
}

async function drain(stream: ReadableStream<Uint8Array>, onText: (text: string) => void) {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) onText(decoder.decode(chunk.value))
}

/**
 * Every child a test file started, so its afterEach can kill what a failed test left (by pid, never by name).
 */
export function mainProcesses() {
  const started: MainProcess[] = []
  return {
    /** `command`: `bun src/main.ts`, or `npm start` exactly as users type it. */
    async start(
      env: Record<string, string>,
      command: string[] = [process.execPath, 'src/main.ts'],
    ): Promise<MainProcess> {
      const child = Bun.spawn(command, {
        cwd: `${import.meta.dir}/../..`,
        env: { ...Bun.env, PORT: '0', LOG_LEVEL: 'info', ...env },
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
      })
      let stdout = ''
      let stderr = ''
      const drained = Promise.all([
        drain(child.stdout, (text) => (stdout += text)),
        drain(child.stderr, (text) => (stderr += text)),
      ])
      const output = () => ({ stdout, stderr })
      const url = await waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`the service exited ${child.exitCode}: ${stderr}`)
          return /"url":"(http:[^"]+)"/.exec(stdout)?.[1]
        },
        { timeoutMs: 20_000 },
      ).catch((err: unknown) => {
        child.kill('SIGKILL')
        throw err
      })
      const main: MainProcess = {
        child,
        url,
        output,
        async outputAtExit() {
          await withDeadline(drained, 30_000, 'the service process output')
          return output()
        },
        async stop(signal) {
          child.kill(signal)
          await withDeadline(child.exited, 30_000, 'the service process exiting')
          return child.exitCode
        },
      }
      started.push(main)
      return main
    },
    /** afterEach: whatever a failed test left running. */
    killAll() {
      for (const { child } of started.splice(0)) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      }
    },
  }
}

export async function loginOver(url: string, token: string): Promise<string> {
  const res = await withDeadline(
    fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    }),
    30_000,
    'login',
  )
  const text = await res.text()
  if (res.status !== 200) throw new Error(`login: ${res.status} ${text}`)
  return (JSON.parse(text) as { sessionId: string }).sessionId
}

/** A read with the session: its status (a bot still coming back answers 503 after RESTART_WAIT_MS). */
export async function readStatus(url: string, sessionId: string, path = '/api/guilds'): Promise<number> {
  const res = await withDeadline(fetch(url + path, { headers: { authorization: sessionId } }), 30_000, path)
  await res.arrayBuffer()
  return res.status
}
