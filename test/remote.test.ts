import { afterEach, expect, test } from 'bun:test'
import type { BotStats } from '../src/contract.ts'
import { AppError } from '../src/errors.ts'
import { connectWorker, type ConnectedWorker } from '../src/pool/remote.ts'

const FIXTURE = new URL('./fixtures/remote-worker.ts', import.meta.url)
const started: ConnectedWorker[] = []

function connect(deadlineMs = 30_000): ConnectedWorker {
  const connected = connectWorker(new Worker(FIXTURE, { type: 'module' }), deadlineMs)
  started.push(connected)
  return connected
}

afterEach(async () => {
  for (const worker of started.splice(0)) {
    worker.terminate()
    await worker.exited
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
