import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import type { BotIdentity } from '../src/contract.ts'
import {
  initialLifecycle,
  isServing,
  MOVES,
  step,
  type Effect,
  type Lifecycle,
  type LifecycleEvent,
  type LifecycleSettings,
  type StopCause,
} from '../src/pool/lifecycle.ts'

const settings: LifecycleSettings = {
  policy: { maxRestarts: 3, windowMs: 10_000, backoffBaseMs: 100, backoffMaxMs: 1_000, stableAfterMs: 5_000 },
  maxHeapBytes: 100,
  healthCheckTimeoutMs: 500,
}
const identity: BotIdentity = {
  botId: '1',
  username: 'bot',
  avatar: null,
  intents: { guildMembers: true, messageContent: true },
  guildCount: 1,
  identifiesLeft: 999,
  resumed: false,
  intentBits: 1,
}

/**
 * The world around the machine, as the shell and the workers would make it: which workers live, which
 * start calls are pending, which slots and timers are due, who waits. Every effect is checked against it.
 */
function createWorld() {
  const first = initialLifecycle(0)
  const world = {
    state: first.state,
    now: 0,
    live: new Set<number>(),
    retiring: new Set<number>(),
    calls: new Set<number>(),
    slots: [] as number[],
    armed: null as number | null,
    waiting: new Set<number>(),
    settles: new Map<number, number>(),
    firstSettles: 0,
    nextWaiter: 0,
    effects: [] as Effect[],
  }
  const perform = (effect: Effect) => {
    world.effects.push(effect)
    switch (effect.type) {
      case 'queueStart':
        world.slots.push(effect.generation)
        break
      case 'startWorker':
        // never two live workers for one bot, counting one still being stopped
        expect([...world.live]).toEqual([])
        world.live.add(effect.generation)
        world.calls.add(effect.generation)
        break
      case 'retire':
        expect(world.live.has(effect.generation)).toBe(true)
        world.retiring.add(effect.generation)
        break
      case 'armRestart':
        world.armed = effect.generation
        break
      case 'cancelRestart':
        world.armed = null
        break
      case 'settleWaiter':
        expect(world.waiting.has(effect.id)).toBe(true)
        world.settles.set(effect.id, (world.settles.get(effect.id) ?? 0) + 1)
        if (effect.outcome === 'serve') expect(isServing(world.state) && world.state.worker).toBe(true)
        break
      case 'settleFirstLogin':
        world.firstSettles += 1
        break
    }
  }
  first.effects.forEach(perform)

  const checkInvariants = (s: Lifecycle) => {
    expect(Object.keys(MOVES)).toContain(s.phase)
    expect(world.firstSettles).toBeLessThanOrEqual(1)
    if (s.phase !== 'starting') expect(world.firstSettles).toBe(1)
    if (isServing(s)) expect(s.worker).toBe(true)
    if (s.worker) expect(world.live.has(s.generation)).toBe(true)
    if (s.phase === 'restarting' || s.phase === 'failed' || s.phase === 'stopping') expect(s.worker).toBe(false)
    if (s.waiters.length > 0) expect(['starting', 'restarting']).toContain(s.phase)
    for (const [, count] of world.settles) expect(count).toBe(1)
  }

  const apply = (event: LifecycleEvent) => {
    const before = world.state
    const result = step(before, event, { now: world.now, roll: 0.5, settings })
    world.state = result.state
    if (result.state.phase !== before.phase) expect(MOVES[before.phase]).toContain(result.state.phase)
    result.effects.forEach(perform)
    checkInvariants(world.state)
  }
  return { world, apply }
}

type Command =
  | { kind: 'progress' }
  | { kind: 'slot' | 'exit' | 'hung' | 'restartDue' | 'wait' | 'expire' | 'restart'; pick: number }
  | { kind: 'reply'; pick: number; outcome: 'ok' | 401 | 429 | 502 | 504 | 'hung' | 'bug' }
  | { kind: 'gateway'; pick: number; status: 'reconnecting' | 'ready' | 'revoked' | 'closed' }
  | { kind: 'memory'; pick: number; big: boolean }
  | { kind: 'session' | 'identifies'; pick: number }
  | { kind: 'stop'; cause: StopCause }
  | { kind: 'tick'; ms: number }

const pick = fc.nat(1000)
const command: fc.Arbitrary<Command> = fc.oneof(
  // what the world would do next anyway (a retiring worker exits, a slot frees, a start succeeds, a timer fires):
  // weighted so that sequences reach deep states, not only the first login
  { weight: 12, arbitrary: fc.constant({ kind: 'progress' as const }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom('slot', 'exit', 'hung', 'restartDue', 'wait', 'expire', 'restart'),
      pick,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('reply'),
      pick,
      outcome: fc.constantFrom('ok', 401, 429, 502, 504, 'hung', 'bug'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('gateway'),
      pick,
      status: fc.constantFrom('reconnecting', 'ready', 'revoked', 'closed'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('memory'), pick, big: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('session', 'identifies'), pick }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('stop'), cause: fc.constantFrom('released', 'removed', 'shutdown') }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick'), ms: fc.integer({ min: 1, max: 6_000 }) }) },
) as fc.Arbitrary<Command>

const choose = <T>(items: readonly T[], n: number): T | undefined => items[n % Math.max(1, items.length)]

/** A worker event's generation: usually a live worker's, sometimes the current one's, sometimes a stale one. */
function generationFor(world: ReturnType<typeof createWorld>['world'], n: number): number {
  if (n % 5 === 4) return Math.max(0, world.state.generation - 1 - (n % 3))
  return choose([...world.live], n) ?? world.state.generation
}

function run(commands: Command[]) {
  const { world, apply } = createWorld()
  const exit = (generation: number) => {
    world.live.delete(generation)
    world.retiring.delete(generation)
    world.calls.delete(generation)
    apply({ type: 'exited', generation, reason: 'crashed: boom' })
  }
  for (const c of commands) {
    switch (c.kind) {
      case 'progress': {
        const retiring = [...world.retiring][0]
        const slot = world.slots.shift()
        const call = [...world.calls][0]
        if (retiring !== undefined) exit(retiring)
        else if (slot !== undefined) apply({ type: 'slot', generation: slot })
        else if (call !== undefined) {
          world.calls.delete(call)
          apply({ type: 'started', generation: call, identity })
        } else if (world.armed !== null) {
          apply({ type: 'restartDue', generation: world.armed })
          world.armed = null
        }
        break
      }
      case 'slot': {
        const generation = world.slots.splice(c.pick % Math.max(1, world.slots.length), 1)[0]
        if (generation !== undefined) apply({ type: 'slot', generation })
        break
      }
      case 'reply': {
        const generation = choose([...world.calls], c.pick)
        if (generation === undefined) break
        world.calls.delete(generation)
        if (c.outcome === 'ok') apply({ type: 'started', generation, identity })
        else if (c.outcome === 'hung' || c.outcome === 'bug')
          apply({ type: 'startBroke', generation, hung: c.outcome === 'hung', detail: 'x' })
        else
          apply({
            type: 'startFailed',
            generation,
            failure: { ok: false, status: c.outcome, discordCode: 0, detail: 'x' },
          })
        break
      }
      case 'exit': {
        // a retiring worker exits when stopped; any live one may die on its own
        const generation = choose([...world.live], c.pick)
        if (generation !== undefined) exit(generation)
        break
      }
      case 'hung':
        apply({ type: 'hung', generation: generationFor(world, c.pick) })
        break
      case 'gateway':
        apply({ type: 'gateway', generation: generationFor(world, c.pick), status: c.status, code: 4000 })
        break
      case 'memory':
        apply({ type: 'memory', generation: generationFor(world, c.pick), heapBytes: c.big ? 1_000 : 10 })
        break
      case 'session':
        apply({ type: 'session', generation: generationFor(world, c.pick), session: null })
        break
      case 'identifies':
        apply({ type: 'identifies', generation: generationFor(world, c.pick), left: c.pick })
        break
      case 'restartDue':
        // a timer fires once; a cancelled one may still fire late, with its old generation
        apply({ type: 'restartDue', generation: world.armed ?? generationFor(world, c.pick) })
        world.armed = null
        break
      case 'wait': {
        const id = ++world.nextWaiter
        world.waiting.add(id)
        apply({ type: 'wait', id })
        break
      }
      case 'expire': {
        const id = choose([...world.waiting], c.pick)
        if (id !== undefined) apply({ type: 'waitExpired', id })
        break
      }
      case 'restart':
        apply({ type: 'restart', reason: 'admin request' })
        break
      case 'stop':
        apply({ type: 'stop', cause: c.cause, reason: 'test' })
        break
      case 'tick':
        world.now += c.ms
        break
    }
  }
  return { world, apply }
}

describe('worker lifecycle (pure transitions)', () => {
  test('any event sequence: only listed moves, never two live workers, every waiter and the first login settle once', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 80 }), (commands) => {
        const { world, apply } = run(commands)
        // every call still waiting is known to the machine, and its own deadline settles it
        const open = [...world.waiting].filter((id) => !world.settles.has(id))
        expect([...world.state.waiters].sort()).toEqual(open.sort())
        for (const id of open) apply({ type: 'waitExpired', id })
        for (const id of world.waiting) expect(world.settles.get(id)).toBe(1)
        // a stop always ends with no worker once the last one has exited
        apply({ type: 'stop', cause: 'shutdown', reason: 'end' })
        for (const generation of [...world.live]) {
          world.live.delete(generation)
          apply({ type: 'exited', generation, reason: 'stopped' })
        }
        expect(world.state.phase).toBe('stopping')
        expect(world.state.worker).toBe(false)
        expect(world.state.retiring).toBeNull()
        expect(world.firstSettles).toBe(1)
      }),
      { numRuns: 2_000 },
    )
  })

  test('a stale worker cannot act on its successor: its exit, push or reply changes nothing', () => {
    const { world, apply } = run([
      { kind: 'slot', pick: 0 },
      { kind: 'reply', pick: 0, outcome: 'ok' },
    ])
    apply({ type: 'restart', reason: 'admin request' }) // generation 1 retires, 2 queued
    apply({ type: 'slot', generation: 2 })
    expect(world.state.start).toBe('slotted') // waits for generation 1 to be gone
    const before = world.state
    for (const event of [
      { type: 'gateway', generation: 3, status: 'revoked' },
      { type: 'memory', generation: 1, heapBytes: 10_000 },
      { type: 'session', generation: 1, session: null },
      { type: 'started', generation: 1, identity },
    ] satisfies LifecycleEvent[])
      apply(event)
    expect(world.state).toBe(before)
    world.live.delete(1)
    apply({ type: 'exited', generation: 1, reason: 'exited with code 0' })
    expect(world.effects.at(-1)).toMatchObject({ type: 'startWorker', generation: 2, kind: 'admin' })
    world.calls.delete(2)
    apply({ type: 'started', generation: 2, identity })
    // a health check begun on generation 1 times out only now; its gateway and memory news are as old
    const ready = world.state
    for (const event of [
      { type: 'hung', generation: 1 },
      { type: 'gateway', generation: 1, status: 'closed', code: 4000 },
      { type: 'memory', generation: 1, heapBytes: 10_000 },
    ] satisfies LifecycleEvent[])
      apply(event)
    expect(world.state).toBe(ready)
  })

  test('a heap past the watermark recycles: logged as a recycle with reason memory, never as a crash', () => {
    const { world, apply } = run([
      { kind: 'slot', pick: 0 },
      { kind: 'reply', pick: 0, outcome: 'ok' },
    ])
    apply({ type: 'memory', generation: 1, heapBytes: 99 })
    expect(world.state.phase).toBe('ready')
    apply({ type: 'memory', generation: 1, heapBytes: 10_000_000 })
    expect(world.state.phase).toBe('restarting')
    expect(world.state.lastExit?.reason).toStartWith('memory')
    const logs = world.effects.filter((effect) => effect.type === 'log').map((effect) => effect.message)
    expect(logs).toContain('recycling worker')
    expect(logs).not.toContain('worker crashed')
    // suspended, not stopped cleanly: a clean close would end the gateway session the restart RESUMEs
    expect(world.effects).toContainEqual({ type: 'retire', generation: 1, graceful: true, keepSession: true })
  })

  test('a start the worker never answers is a hang (bot_timeout), not a Discord timeout', () => {
    const { world } = run([
      { kind: 'slot', pick: 0 },
      { kind: 'reply', pick: 0, outcome: 'hung' },
    ])
    expect(world.effects).toContainEqual({ type: 'settleFirstLogin', outcome: { kind: 'hung' } })
    const slow = run([
      { kind: 'slot', pick: 0 },
      { kind: 'reply', pick: 0, outcome: 504 },
    ]).world
    expect(slow.effects).toContainEqual(
      expect.objectContaining({ type: 'settleFirstLogin', outcome: expect.objectContaining({ kind: 'rejected' }) }),
    )
  })

  test('a restart refused for the IDENTIFY budget fails the bot naming why; the next calls are told so', () => {
    const { world, apply } = run([
      { kind: 'slot', pick: 0 },
      { kind: 'reply', pick: 0, outcome: 'ok' },
      { kind: 'exit', pick: 0 },
    ])
    apply({ type: 'restartDue', generation: 1 })
    apply({ type: 'slot', generation: 2 })
    apply({ type: 'identifies', generation: 2, left: 10 })
    apply({
      type: 'startFailed',
      generation: 2,
      failure: { ok: false, status: 429, discordCode: 0, detail: 'only 10 IDENTIFYs left today' },
    })
    expect(world.state.phase).toBe('failed')
    expect(world.state.identity.identifiesLeft).toBe(10)
    world.waiting.add(99)
    apply({ type: 'wait', id: 99 })
    expect(world.effects.at(-1)).toEqual({
      type: 'settleWaiter',
      id: 99,
      outcome: { kind: 'failed', lastError: 'refusing to IDENTIFY: only 10 IDENTIFYs left today' },
    })
  })
})
