import type { WorkerRow } from '../src/http/routes/admin.ts'

/** The fields of GET /admin/workers' rows the table shows; any state name renders, known ones in colour. */
export type TableRow = Omit<Pick<WorkerRow, TableField>, 'state'> & { state: string }
type TableField =
  | 'workerId'
  | 'botId'
  | 'botName'
  | 'state'
  | 'sessions'
  | 'uptimeMs'
  | 'restarts'
  | 'lastExit'
  | 'lastError'
  | 'gatewayPingMs'
  | 'guildCount'
  | 'heapUsedBytes'
  | 'rpcLatencyMs'
  | 'eventsPerSecond'
  | 'discordRestCalls'
  | 'discordRateLimited'
  | 'identifiesLeft'

const STATE_COLOURS: Record<string, number> = {
  ready: 32,
  reconnecting: 33,
  starting: 36,
  restarting: 33,
  failed: 31,
  stopping: 90,
}

const duration = (ms: number) => {
  const seconds = Math.floor(ms / 1000)
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`
  return `${Math.floor(seconds / 86_400)}d`
}
const orDash = (value: number | null, format: (n: number) => string = String) =>
  value === null || value < 0 ? '-' : format(value)
const megabytes = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)}mb`
const millis = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 0)}ms`

/** Renders admin rows as a terminal table in the spirit of `pm2 ls`; colours only when asked. */
export function renderTable(rows: TableRow[], colour: boolean): string {
  const header = [
    'id',
    'bot',
    'state',
    'sess',
    'uptime',
    '↺',
    'ping',
    'guilds',
    'heap',
    'rpc p50/p99',
    'ev/s',
    'rest',
    '429',
    'ids left',
    'last exit',
  ]
  const cells = rows.map((row) => [
    row.workerId,
    row.botName || row.botId,
    row.state,
    String(row.sessions),
    duration(row.uptimeMs),
    String(row.restarts),
    orDash(row.gatewayPingMs, (ms) => `${ms}ms`),
    String(row.guildCount),
    orDash(row.heapUsedBytes, megabytes),
    `${orDash(row.rpcLatencyMs.p50, millis)}/${orDash(row.rpcLatencyMs.p99, millis)}`,
    row.eventsPerSecond.toFixed(1),
    orDash(row.discordRestCalls),
    orDash(row.discordRateLimited),
    orDash(row.identifiesLeft),
    (row.lastError ?? row.lastExit?.reason ?? '').slice(0, 48),
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)))
  const line = (values: string[], paint?: (value: string, column: number) => string) =>
    values
      .map((value, column) => (paint ? paint(value.padEnd(widths[column]!), column) : value.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd()
  const bold = (text: string) => (colour ? `\x1b[1m${text}\x1b[0m` : text)
  const paintState = (text: string, column: number) => {
    if (!colour || column !== 2) return text
    return `\x1b[${STATE_COLOURS[text.trim()] ?? 0}m${text}\x1b[0m`
  }
  if (rows.length === 0) return `${bold(line(header))}\n(no workers)\n`
  return `${bold(line(header))}\n${cells.map((values) => line(values, paintState)).join('\n')}\n`
}
