import { expose } from 'comlink'
import type { BotWorkerApi } from '../src/contract.ts'
import { createBotApi } from './bot.ts'

// expose() serves any property path of its object, writes included: freeze it and expose functions only.
expose(Object.freeze(createBotApi() satisfies BotWorkerApi))
