import { expose } from 'comlink'
import { isBotAttach, type BotWorkerApi, type WorkerPush } from '../src/contract.ts'
import { createBotApi } from './bot.ts'

// A worker thread hosts the bots the gateway attaches to it, each on its own MessagePort: one by default, several
// with BOTS_PER_WORKER (the discord.js code loaded once per thread is ~90 % of a bot's memory, docs/facts.md).
// Every per-bot value lives in createBotApi's closure, so bots in one thread share code and nothing else.
self.addEventListener('message', (event: MessageEvent) => {
  if (!isBotAttach(event.data)) return
  const { port } = event.data
  const push = (message: WorkerPush) => port.postMessage(message)
  // expose() serves any property path of its object, writes included: freeze it and expose functions only.
  // When the gateway releases the bot, Comlink closes the port and the closure is garbage.
  expose(Object.freeze(createBotApi(push, port) satisfies BotWorkerApi), port)
})
