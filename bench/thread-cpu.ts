import { readdir } from 'node:fs/promises'

const TICK_MS = 10 // /proc's utime and stime count USER_HZ ticks: 100 per second on Linux

export type ThreadCpu = Map<string, { name: string; ms: number }>

/** CPU time of every thread of a process, by thread id. */
export async function threadCpu(pid: number): Promise<ThreadCpu> {
  const out: ThreadCpu = new Map()
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await Bun.file(`/proc/${pid}/task/${tid}/stat`)
      .text()
      .catch(() => '')
    const close = stat.lastIndexOf(')')
    if (close < 0) continue
    const name = stat.slice(stat.indexOf('(') + 1, close)
    const fields = stat.slice(close + 2).split(' ') // fields from the 3rd on: state is [0], utime [11], stime [12]
    out.set(tid, { name, ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS })
  }
  return out
}

/** CPU ms per thread group between two readings: the process's main thread, then the others by name. */
export function cpuByGroup(pid: number, before: ThreadCpu, after: ThreadCpu): Record<string, number> {
  const groups: Record<string, number> = {}
  for (const [tid, { name, ms }] of after) {
    const group = tid === String(pid) ? 'main' : name
    groups[group] = (groups[group] ?? 0) + ms - (before.get(tid)?.ms ?? 0)
  }
  return groups
}
