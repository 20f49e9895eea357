import { parseArgs } from 'node:util'
import { startFakeDiscord } from './index.ts'

/** `bun fake-discord/cli.ts [--port N] [--seed N]`: a fake Discord on loopback until SIGINT/SIGTERM. */
const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, seed: { type: 'string', default: '1' } },
  strict: true,
})
const port = Number(values.port)
const seed = Number(values.seed)
if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be 0–65535, got ${values.port}`)
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`)

const fake = await startFakeDiscord({ port, seed })
const { world, tokens } = fake
const lines = [
  `fake Discord listening on ${fake.url}`,
  `  REST      ${fake.apiUrl}   (discord.js: new Client({ intents, rest: { api: '${fake.apiUrl}' } }))`,
  `  gateway   ${fake.gatewayUrl}   (handed out by GET /gateway/bot)`,
  `  control   ${fake.url}/_control/world, /_control/messages, /_control/faults, /_control/counters …`,
  '',
  'tokens:',
  ...Object.values(world.bots).map((bot) => `  ${bot.name.padEnd(7)} ${bot.token}\n          ${bot.purpose}`),
  `  revoked ${tokens.revoked}\n          alpha's reset token: 401 / 4004`,
  `  invalid ${fake.invalidToken}\n          token-shaped, no such bot: 401 / 4004`,
  '',
  'ids:',
  ...Object.entries(world.ids).map(([name, id]) => `  ${name.padEnd(22)} ${id}`),
]
console.log(lines.join('\n'))

let stopping = false
const stop = async (signal: string) => {
  if (stopping) return
  stopping = true
  console.log(`\n${signal}: stopping`)
  await fake.stop()
  process.exit(0)
}
process.on('SIGINT', () => void stop('SIGINT')) // stop() closes the sockets and the server; exit follows it
process.on('SIGTERM', () => void stop('SIGTERM'))
