import { afterEach, expect, test } from 'bun:test'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { withDeadline } from './support/stack.ts'

/** Start-up with a store that cannot be used: one clear line naming the file, exit non-zero, the same each time. */
const dirs: string[] = []
const undo: (() => void)[] = []
afterEach(() => {
  for (const step of undo.splice(0)) step()
  for (const dir of dirs.splice(0)) {
    chmodSync(dir, 0o700)
    rmSync(dir, { recursive: true, force: true })
  }
})

async function run(env: Record<string, string>, cwd = `${import.meta.dir}/..`) {
  const child = Bun.spawn([process.execPath, `${import.meta.dir}/../src/main.ts`], {
    cwd,
    env: { ...Bun.env, PORT: '0', LOG_LEVEL: 'info', ADMIN_TOKEN: '', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()])
  const code = await withDeadline(child.exited, 20_000, 'the service exiting')
  return { code, stdout, stderr }
}

test('a corrupt database file: one line naming it on stderr, exit 1, and the same again on the next start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'botvisor-badstore-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'botvisor.db'), 'this is not a SQLite database, it is '.repeat(200))
  const runs = [await run({ DATA_DIR: dir }), await run({ DATA_DIR: dir })]
  for (const { code, stderr } of runs) {
    expect(code).toBe(1)
    const lines = stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toStartWith('botvisor: ')
    expect(lines[0]).toContain(join(dir, 'botvisor.db'))
    expect(stderr).not.toContain('    at ') // no stack trace
  }
  expect(runs[1]?.stderr).toBe(runs[0]?.stderr ?? '')
})

/** Makes `dir` unwritable even for root (which ignores modes): the immutable flag, undone after the test. */
function makeReadOnly(dir: string): void {
  chmodSync(dir, 0o500)
  if (process.getuid?.() === 0) {
    expect(Bun.spawnSync(['chattr', '+i', dir]).exitCode).toBe(0)
    undo.push(() => void Bun.spawnSync(['chattr', '-i', dir]))
  }
  expect(() => writeFileSync(join(dir, '.probe'), '')).toThrow() // staged for real, or the test says so
}

test('a data directory that cannot be written: one line naming it, exit 1', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'botvisor-readonly-'))
  dirs.push(parent)
  const dir = join(parent, 'data')
  mkdirSync(dir)
  makeReadOnly(dir)
  const { code, stderr } = await run({ DATA_DIR: dir })
  expect(code).toBe(1)
  expect(stderr.trim().split('\n')).toHaveLength(1)
  expect(stderr).toContain(dir)
  expect(stderr).not.toContain('    at ')
})

test("DATA_DIR=':memory:' starts on the memory store and creates no directory named ':memory:'", async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'botvisor-memory-cwd-'))
  dirs.push(cwd)
  const child = Bun.spawn([process.execPath, `${import.meta.dir}/../src/main.ts`], {
    cwd,
    env: { ...Bun.env, PORT: '0', LOG_LEVEL: 'info', ADMIN_TOKEN: '', DATA_DIR: ':memory:' },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  let stdout = ''
  const reader = child.stdout.getReader()
  const decoder = new TextDecoder()
  while (!stdout.includes('botvisor listening')) {
    const chunk = await withDeadline(reader.read(), 20_000, 'the service starting')
    if (chunk.done) break
    stdout += decoder.decode(chunk.value)
  }
  child.kill('SIGTERM')
  expect(await withDeadline(child.exited, 20_000, 'the service exiting')).toBe(0)
  const stderr = await new Response(child.stderr).text()
  expect(stdout).toContain('"store":"memory"')
  expect(existsSync(join(cwd, ':memory:'))).toBe(false)
  const file = /admin token is in (\S+) \(mode 600\)/.exec(stderr)?.[1] ?? ''
  expect(file).not.toContain(':memory:')
  expect(existsSync(file)).toBe(true)
  rmSync(join(file, '..'), { recursive: true, force: true })
})
