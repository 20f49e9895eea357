import { createMemorySessionStore, type SessionStore } from '../../src/sessions/store.ts'

type Op = 'create' | 'delete'
export type Hold = {
  /** Settles when the held call has arrived (and is waiting). */
  reached: Promise<void>
  /** Lets the held call go on to the real store. */
  release(): void
}

/**
 * The in-memory store with a test's hand on its writes: `hold(op)` keeps the next call of `op` waiting until
 * released, as a remote store's round trip would, so a test can put another request inside that window
 * without racing a clock. `failNext(op)` makes the next call reject, as a store that is down.
 */
export function createHeldStore(inner: SessionStore = createMemorySessionStore()) {
  const holds: Record<Op, { arrived: () => void; gate: Promise<void> }[]> = { create: [], delete: [] }
  const failures: Record<Op, number> = { create: 0, delete: 0 }
  const pass = async (op: Op) => {
    if (failures[op] > 0) {
      failures[op] -= 1
      throw new Error(`session store unavailable (test: ${op})`)
    }
    const hold = holds[op].shift()
    if (!hold) return
    hold.arrived()
    await hold.gate
  }
  const store: SessionStore = {
    ...inner,
    async create(session) {
      await pass('create')
      return inner.create(session)
    },
    async delete(sessionId) {
      await pass('delete')
      return inner.delete(sessionId)
    },
  }
  return {
    store,
    hold(op: Op): Hold {
      const reached = Promise.withResolvers<void>()
      const gate = Promise.withResolvers<void>()
      holds[op].push({ arrived: reached.resolve, gate: gate.promise })
      return { reached: reached.promise, release: gate.resolve }
    },
    failNext(op: Op) {
      failures[op] += 1
    },
  }
}
