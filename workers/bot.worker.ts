import { expose } from 'comlink'
import type { BotWorkerApi, WorkerPush } from '../src/contract.ts'
import { createBotApi } from './bot.ts'

// expose() serves any property path of its object, writes included: freeze it and expose functions only.
const push = (message: WorkerPush) => self.postMessage(message)
expose(Object.freeze(createBotApi(push) satisfies BotWorkerApi))
