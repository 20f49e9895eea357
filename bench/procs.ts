import type { Subprocess } from 'bun'

export type Child<Info> = { pid: number; info: Info; stop(): Promise<void> }

export type ProcessGroup = {
  /** Starts `bun <script> <args>` and waits for the JSON line it announces itself with. */
  start<Info>(
    script: string,
    args?: string[],
    options?: { timeoutMs?: number; bunFlags?: string[] },
  ): Promise<Child<Info>>
  /** Runs a command to its end (wrk, the autocannon runner) and returns its stdout. */
  run(cmd: string[], timeoutMs: number): Promise<string>
  /** A process started elsewhere (the service from its own entry point) that stopAll() must end too. */
  adopt(proc: Subprocess): void
  /** Ends every process this group started and is still running, by its pid. */
  stopAll(): Promise<void>
}

const BENCH_DIR = new URL('.', import.meta.url).pathname

/** Every process the bench starts goes through here, so Ctrl-C or a failure ends exactly those. */
export function createProcessGroup(): ProcessGroup {
  const running = new Set<Subprocess>()

  const stop = async (proc: Subprocess) => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM')
      const killed = await Promise.race([proc.exited.then(() => true), Bun.sleep(4_000).then(() => false)])
      if (!killed) proc.kill('SIGKILL')
    }
    running.delete(proc)
  }

  return {
    async start<Info>(
      script: string,
      args: string[] = [],
      { timeoutMs = 30_000, bunFlags = [] } = {},
    ): Promise<Child<Info>> {
      // stdin stays an open pipe: the child ends when it closes, even if we die without cleaning up (child.ts)
      const proc = Bun.spawn([process.execPath, ...bunFlags, `${BENCH_DIR}${script}`, ...args], {
        stdin: 'pipe',
        stdout: 'pipe',
        stderr: 'inherit',
      })
      running.add(proc)
      const reader = proc.stdout.getReader()
      let text = ''
      const deadline = Date.now() + timeoutMs
      while (!text.includes('\n')) {
        const chunk = await Promise.race([
          reader.read(),
          Bun.sleep(Math.max(0, deadline - Date.now())).then(() => null),
        ])
        if (chunk === null || chunk.done) {
          await stop(proc)
          throw new Error(`${script} did not announce itself within ${timeoutMs} ms`)
        }
        text += new TextDecoder().decode(chunk.value)
      }
      // later output is drained so a chatty child never blocks on a full pipe
      void (async () => {
        while (!(await reader.read()).done) {}
      })()
      const info = JSON.parse(text.slice(0, text.indexOf('\n'))) as Info
      return { pid: proc.pid, info, stop: () => stop(proc) }
    },

    async run(cmd, timeoutMs) {
      const proc = Bun.spawn(cmd, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
      running.add(proc)
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
      try {
        const [out, err, code] = await Promise.all([
          new Response(proc.stdout).text(),
          new Response(proc.stderr).text(),
          proc.exited,
        ])
        if (code !== 0) throw new Error(`${cmd[0]} exited with ${code}: ${(err.trim() || out.trim()).slice(0, 500)}`)
        return out
      } finally {
        clearTimeout(timer)
        running.delete(proc)
      }
    },

    adopt(proc) {
      running.add(proc)
      void proc.exited.then(() => running.delete(proc))
    },

    async stopAll() {
      await Promise.all([...running].map(stop))
    },
  }
}
