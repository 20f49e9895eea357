import { afterEach, describe, expect, test } from 'bun:test'
import type { BotStats } from '../src/contract.ts'
import { AppError } from '../src/errors.ts'
import { watchThread, type ConnectedWorker, type WorkerThread } from '../src/pool/remote.ts'

const FIXTURE = new URL('./fixtures/remote-worker.ts', import.meta.url)
const started: WorkerThread[] = []

function spawnThread(): WorkerThread {
  const thread = watchThread(new Worker(FIXTURE, { type: 'module' }))
  started.push(thread)
  return thread
}
const connect = (deadlineMs = 30_000): ConnectedWorker => spawnThread().attach(deadlineMs)

afterEach(async () => {
  for (const thread of started.splice(0)) {
    thread.terminate()
    await thread.exited
  }
})

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (err: unknown) => err,
  )

test('the results of settled calls are not kept alive by the worker connection', async () => {
  const worker = connect()
  const refs: WeakRef<BotStats>[] = []
  for (let i = 0; i < 2_000; i++) refs.push(new WeakRef(await worker.call((bot) => bot.stats())))
  // a live worker: its connection is still in use, yet nothing of the finished calls may stay reachable
  expect(worker.isAlive()).toBe(true)
  Bun.gc(true)
  await Bun.sleep(0) // let finalization run after the collection
  Bun.gc(true)
  const alive = refs.filter((ref) => ref.deref() !== undefined).length
  // the last result may still sit in a register or a settled promise the test holds
  expect(alive).toBeLessThan(10)
})

test('a call in flight when the worker dies rejects with bot_unavailable, and later calls fail at once', async () => {
  const worker = connect()
  await worker.call((bot) => bot.stats()) // the worker is up and answering
  const hung = errorOf(worker.call((bot) => bot.start({} as never)))
  worker.terminate()
  const err = await hung
  expect(err).toBeInstanceOf(AppError)
  expect((err as AppError).code).toBe('bot_unavailable')
  expect(worker.isAlive()).toBe(false)
  let posted = false
  const late = await errorOf(
    worker.call(async (bot) => {
      posted = true
      return bot.stats()
    }),
  )
  expect((late as AppError).code).toBe('bot_unavailable')
  expect(posted).toBe(false)
})

test('a call the worker never answers rejects with bot_timeout at its deadline, and the worker lives on', async () => {
  const worker = connect()
  const err = await errorOf(worker.call((bot) => bot.start({} as never), 50))
  expect((err as AppError).code).toBe('bot_timeout')
  expect(worker.isAlive()).toBe(true)
  expect((await worker.call((bot) => bot.stats())).ready).toBe(false)
})

test('a worker that exits on its own rejects the calls it left unanswered', async () => {
  const worker = connect()
  const hung = errorOf(worker.call((bot) => bot.start({} as never)))
  await worker.call((bot) => bot.injectFault('exit'))
  expect(await worker.exited).toBe('exited with code 1')
  expect(((await hung) as AppError).code).toBe('bot_unavailable')
})

describe('bots sharing one thread (BOTS_PER_WORKER)', () => {
  test('each bot is served on its own port; the thread ending rejects what every one of them left unanswered', async () => {
    const thread = spawnThread()
    const first = thread.attach(30_000)
    const second = thread.attach(30_000)
    expect((await first.call((bot) => bot.stats())).ready).toBe(false)
    expect((await second.call((bot) => bot.stats())).ready).toBe(false)
    const hung = [first, second].map((bot) => errorOf(bot.call((api) => api.start({} as never))))
    await first.call((bot) => bot.injectFault('exit'))
    expect(await second.exited).toBe('exited with code 1')
    for (const err of await Promise.all(hung)) expect((err as AppError).code).toBe('bot_unavailable')
    expect(first.isAlive() || second.isAlive()).toBe(false)
  })

  test('a detached bot is gone, with its unanswered calls, while the thread serves the others', async () => {
    const thread = spawnThread()
    const leaving = thread.attach(30_000)
    const staying = thread.attach(30_000)
    await leaving.call((bot) => bot.stats())
    const hung = errorOf(leaving.call((bot) => bot.start({} as never)))
    leaving.detach()
    expect(await leaving.exited).toBe('detached')
    expect(((await hung) as AppError).code).toBe('bot_unavailable')
    expect(((await errorOf(leaving.call((bot) => bot.stats()))) as AppError).code).toBe('bot_unavailable')
    expect(thread.isAlive()).toBe(true)
    expect((await staying.call((bot) => bot.stats())).ready).toBe(false)
    // a bot attached later is served too: the thread hosts bots one after another as well as side by side
    expect((await thread.attach(30_000).call((bot) => bot.stats())).ready).toBe(false)
  })

  test('a bot attached to a thread that already ended fails at once', async () => {
    const thread = spawnThread()
    thread.terminate()
    await thread.exited
    const late = thread.attach(30_000)
    expect(late.isAlive()).toBe(false)
    expect(((await errorOf(late.call((bot) => bot.stats()))) as AppError).code).toBe('bot_unavailable')
  })
})
