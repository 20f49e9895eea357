/**
 * `bun run status [--watch]`: the workers of a running Botvisor as a table, read from its admin API.
 * BOTVISOR_URL (default http://127.0.0.1:3000) and ADMIN_TOKEN come from the environment.
 */
import type { WorkerRow } from '../src/http/routes/admin.ts'
import { renderTable } from './status-table.ts'

const baseUrl = (Bun.env.BOTVISOR_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '')
const adminToken = Bun.env.ADMIN_TOKEN ?? ''
const watch = process.argv.includes('--watch')
const colour = process.stdout.isTTY === true && !Bun.env.NO_COLOR
const REFRESH_MS = 2_000

async function fetchRows(): Promise<WorkerRow[]> {
  const res = await fetch(`${baseUrl}/admin/workers`, {
    headers: { authorization: `Bearer ${adminToken}` },
    signal: AbortSignal.timeout(5_000),
  })
  const body = (await res.json().catch(() => ({}))) as WorkerRow[] | { error?: string }
  if (!res.ok || !Array.isArray(body))
    throw new Error(`${res.status}: ${'error' in body ? body.error : 'unexpected answer'}`)
  return body
}

async function showOnce(): Promise<boolean> {
  try {
    const table = renderTable(await fetchRows(), colour)
    process.stdout.write(watch && colour ? `\x1b[2J\x1b[H${table}` : table)
    return true
  } catch (err) {
    process.stderr.write(`botvisor status: ${baseUrl}: ${err instanceof Error ? err.message : String(err)}\n`)
    return false
  }
}

if (!watch) process.exit((await showOnce()) ? 0 : 1)
for (;;) {
  await showOnce()
  await Bun.sleep(REFRESH_MS)
}
