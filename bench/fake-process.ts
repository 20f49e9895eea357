import { startFakeDiscord } from '../fake-discord/index.ts'
import { announce, exitWithParent } from './child.ts'

/**
 * `bun bench/fake-process.ts <extraBots>`: the fake Discord in a process of its own, so its work never lands on
 * the event loop of the service or of the naive baseline (both talk to this one). Its counters are read over
 * its own control API (GET /_control/counters).
 */
export type BenchBot = { name: string; token: string; guildId: string; channelId: string }
export type FakeInfo = { url: string; apiUrl: string; bots: BenchBot[] }

const extraBots = Number(process.argv[2] ?? '0')
if (!Number.isInteger(extraBots) || extraBots < 1) throw new Error('usage: fake-process.ts <extraBots ≥ 1>')

const fake = await startFakeDiscord({ port: 0, extraBots })
const bots: BenchBot[] = []
for (let i = 0; i < extraBots; i++) {
  const bot = fake.world.bots[`bench-${i}`]
  if (!bot) throw new Error(`the fake has no bench-${i}`)
  const guild = [...fake.world.guilds.values()].find((g) => g.members.has(bot.user.id))
  const general = guild?.channels.find((channel) => channel.name === 'general')
  if (!guild || !general) throw new Error(`bench-${i} has no guild with a general channel`)
  bots.push({ name: bot.name, token: bot.token, guildId: guild.id, channelId: general.id })
}
exitWithParent(() => fake.stop())
announce({ url: fake.url, apiUrl: fake.apiUrl, bots } satisfies FakeInfo)
