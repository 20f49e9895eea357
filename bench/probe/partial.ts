import { expose } from 'comlink'
import { heapStats } from 'bun:jsc'
// `PROBE_REQ=a,b bun bench/probe/run.ts 10 bench/probe/partial.ts`: what loading only these modules costs a worker
const { createRequire } = require('node:module')
const req = createRequire(import.meta.url)
const what = process.env.PROBE_REQ ?? 'discord.js/src/client/Client.js'
const before = Object.keys(req.cache).length
for (const w of what.split(',')) req(w)
expose({
  probe: async () => {
    Bun.gc(true)
    const s = heapStats()
    return {
      heapSize: s.heapSize,
      heapCapacity: s.heapCapacity,
      extraMemorySize: s.extraMemorySize,
      objectCount: s.objectCount,
      types: [['modules', Object.keys(req.cache).length - before]],
    }
  },
})
