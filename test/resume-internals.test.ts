import { describe, expect, test } from 'bun:test'
import { createRequire } from 'node:module'
import { REST } from 'discord.js'
import type { GatewaySession } from '../src/contract.ts'
import { RESUME_VERIFIED_WITH, sessionKeepingStrategy } from '../workers/resume.ts'

// The @discordjs/ws that discord.js itself loads (its CommonJS build), not whatever a bare import would find.
const fromDiscordJs = createRequire(require.resolve('discord.js'))
const installed = {
  'discord.js': (fromDiscordJs('discord.js/package.json') as { version: string }).version,
  '@discordjs/ws': (fromDiscordJs('@discordjs/ws/package.json') as { version: string }).version,
}
const { WebSocketManager } = fromDiscordJs('@discordjs/ws') as typeof import('@discordjs/ws')

const SESSION: GatewaySession = {
  sessionId: 'abc',
  sequence: 42,
  resumeUrl: 'wss://resume.example',
  shardId: 0,
  shardCount: 1,
}
const SNAPSHOT = { ready: { v: 10, user: { id: '1' } }, guildCreates: [{ id: '10' }, { id: '11' }] }

/** A real @discordjs/ws manager (never connected) built with the strategy the worker uses. */
function managerWith(options: { resume: GatewaySession | null; snapshot: typeof SNAPSHOT | null }) {
  const reported: (GatewaySession | null)[] = []
  const settled: string[] = []
  const keeping = sessionKeepingStrategy({
    ...options,
    report: (session) => reported.push(session),
    onSettled: (how) => settled.push(how),
  })
  const manager = new WebSocketManager({
    token: 'not-a-token',
    intents: 0,
    rest: new REST(),
    buildStrategy: keeping.build,
  })
  return { manager, keeping, reported, settled }
}
/** Emits as @discordjs/ws's shards do; its typed map forbids emitting from outside. */
const emit = (manager: InstanceType<typeof WebSocketManager>, event: string, payload?: unknown) =>
  (manager as unknown as { emit(name: string, ...args: unknown[]): boolean }).emit(event, payload)
const ours = (manager: InstanceType<typeof WebSocketManager>) =>
  ['hello', 'resumed', 'ready'].map((event) => manager.listenerCount(event as never))

describe('workers/resume.ts still fits the discord.js it drives (RESUME_ON_RESTART=0 turns it off)', () => {
  test('the installed discord.js and @discordjs/ws are the versions resume.ts was verified with', () => {
    // When this fails: re-run this file and test/resume.test.ts against the new versions, read what changed in
    // @discordjs/ws's WebSocketManager options and events, then update RESUME_VERIFIED_WITH.
    expect(
      installed,
      `workers/resume.ts drives discord.js internals verified with ${JSON.stringify(RESUME_VERIFIED_WITH)}`,
    ).toEqual({
      ...RESUME_VERIFIED_WITH,
    })
  })

  test('the manager takes our strategy and our session hooks: the seed is what the first connection RESUMEs', async () => {
    const { manager, reported, keeping } = managerWith({ resume: SESSION, snapshot: null })
    expect((manager as unknown as { strategy: object }).strategy.constructor.name).toBe('SimpleShardingStrategy')
    expect(await manager.options.retrieveSessionInfo(0)).toMatchObject({
      sessionId: 'abc',
      sequence: 42,
      resumeURL: 'wss://resume.example',
    })
    // discord.js reporting a new session replaces the seed and reaches the gateway at once
    await manager.options.updateSessionInfo(0, {
      sessionId: 'def',
      sequence: 1,
      resumeURL: 'wss://r2',
      shardId: 0,
      shardCount: 1,
    })
    expect(reported).toEqual([{ sessionId: 'def', sequence: 1, resumeUrl: 'wss://r2', shardId: 0, shardCount: 1 }])
    expect(await manager.options.retrieveSessionInfo(0)).toMatchObject({ sessionId: 'def' })
    keeping.dispose()
    await manager.options.updateSessionInfo(0, null)
    expect(reported).toHaveLength(1) // disposed: nothing more goes to a gateway that may have lent the worker on
  })

  test('on HELLO the snapshot is played as READY then GUILD_CREATEs, and every listener goes once the session settles', async () => {
    const { manager, settled } = managerWith({ resume: SESSION, snapshot: SNAPSHOT })
    const dispatched: string[] = []
    manager.on('dispatch', ({ data }) => void dispatched.push(`${data.t}:${(data.d as { id?: string }).id ?? ''}`))
    expect(ours(manager)).toEqual([1, 1, 1])
    emit(manager, 'hello')
    await Promise.resolve()
    expect(dispatched).toEqual(['READY:', 'GUILD_CREATE:10', 'GUILD_CREATE:11'])
    emit(manager, 'hello') // a reconnect's HELLO replays nothing
    await Promise.resolve()
    expect(dispatched).toHaveLength(3)
    emit(manager, 'resumed', { shardId: 0 })
    expect(settled).toEqual(['resumed'])
    expect(ours(manager)).toEqual([0, 0, 0])
  })

  test('a READY from Discord after the replayed one means the RESUME was refused; dispose removes the listeners too', async () => {
    const refused = managerWith({ resume: SESSION, snapshot: SNAPSHOT })
    emit(refused.manager, 'hello')
    await Promise.resolve()
    emit(refused.manager, 'ready', { shardId: 0, data: {} })
    expect(refused.settled).toEqual(['identified'])
    expect(ours(refused.manager)).toEqual([0, 0, 0])

    const abandoned = managerWith({ resume: SESSION, snapshot: SNAPSHOT })
    abandoned.keeping.dispose()
    expect(ours(abandoned.manager)).toEqual([0, 0, 0])
  })
})
