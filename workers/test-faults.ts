import type { TestFault } from '../src/contract.ts'

// the 'grow' fault's allocations; module-level so they outlive the call, dropped when the worker is reset
const grown: unknown[] = []

export const dropGrown = () => {
  grown.length = 0
}

/**
 * Only with WORKER_TEST_HOOKS=1: breaks the worker in the named way, for real. A thread hosting several bots
 * breaks for all of them, as it would in production. `calls`: where the bot's calls arrive.
 */
export function breakOnPurpose(fault: TestFault, calls: EventTarget): void {
  switch (fault) {
    case 'throw':
      setTimeout(() => {
        throw new Error('test fault: uncaught exception')
      })
      return
    case 'reject':
      void Promise.reject(new Error('test fault: unhandled rejection')) // nobody handles it: that is the fault
      return
    case 'exit':
      setTimeout(() => process.exit(1))
      return
    case 'hang': {
      // Spin from the next tick or the next message, whichever comes first: a timer alone would leave a window
      // in which a call made right after this one is still served.
      const spin = () => {
        for (;;) {
          // spin forever: the worker stops answering, the gateway must not notice
        }
      }
      calls.addEventListener('message', spin, { once: true })
      setTimeout(spin)
      return
    }
    case 'grow':
      // ~200 MB of live objects: past any sane heap watermark
      for (let i = 0; i < 200; i++) grown.push(Array.from({ length: 131_072 }, (_, j) => j))
      return
  }
}
