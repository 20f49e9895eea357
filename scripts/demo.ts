/**
 * `bun run demo`: the fake Discord and the real service together, so anyone can try the API without a
 * Discord account. Everything stays on loopback; Ctrl-C stops both.
 */
import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/log.ts'
import { startService } from '../src/service.ts'
import { startFakeDiscord } from '../fake-discord/index.ts'

const discord = await startFakeDiscord({ port: Number(Bun.env.FAKE_DISCORD_PORT ?? 0) })
const config = loadConfig({ ...Bun.env, DISCORD_API_URL: discord.apiUrl, LOG_LEVEL: Bun.env.LOG_LEVEL ?? 'warn' })
const service = startService(config, createLogger(config.LOG_LEVEL))

const { tokens, world } = discord
const print = (line = '') => process.stdout.write(`${line}\n`)
print(`Botvisor demo: API on ${service.url}, fake Discord on ${discord.url}`)
print()
print('Demo bot tokens (they only work against this fake Discord):')
for (const [name, bot] of Object.entries(world.bots)) print(`  ${name.padEnd(6)} ${bot.token}   ${bot.purpose}`)
print()
print('Try it:')
print(`  SESSION=$(curl -s -X POST ${service.url}/api/auth/login -H 'content-type: application/json' \\`)
print(`    -d '{"token":"${tokens.alpha}"}' | sed -E 's/.*"sessionId":"([^"]+)".*/\\1/')`)
print(`  curl -s ${service.url}/api/guilds -H "Authorization: $SESSION"`)
print(`  curl -s "${service.url}/api/channels?guildId=${world.ids.bigGuild}" -H "Authorization: $SESSION"`)
print(
  `  curl -s "${service.url}/api/messages?channelId=${world.ids.generalChannel}&limit=5" -H "Authorization: $SESSION"`,
)
print(`API docs: ${service.url}/docs`)

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1)
    stopping = true
    void Promise.all([service.stop(), discord.stop()]).finally(() => process.exit(0)) // exit either way: it is a demo
  })
}
