import { describe, expect, test } from 'bun:test'
import { GatewayIntentBits } from 'discord-api-types/v10'
import { loadConfig } from '../src/config.ts'
import { lifecycleSettings } from '../src/pool/lifecycle-types.ts'

describe('configuration from the environment', () => {
  test('defaults: port 3000 on loopback, Discord itself, no cross-origin access', () => {
    const config = loadConfig({})
    expect(config.PORT).toBe(3000)
    expect(config.HOST).toBe('127.0.0.1')
    expect(config.DISCORD_API_URL).toBe('https://discord.com/api')
    expect(config.CORS_ORIGINS).toEqual([])
    expect(Object.isFrozen(config)).toBe(true)
  })

  test('a bad value stops start-up naming the variable', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT/)
    expect(() => loadConfig({ RPC_TIMEOUT_MS: '-5' })).toThrow(/RPC_TIMEOUT_MS/)
    expect(() => loadConfig({ DISCORD_API_URL: 'not a url' })).toThrow(/DISCORD_API_URL/)
    expect(() => loadConfig({ CORS_ORIGINS: 'https://ok.example,nope' })).toThrow(/CORS_ORIGINS/)
    expect(() => loadConfig({ DISCORD_INTENTS: 'Guilds,Nonsense' })).toThrow(/DISCORD_INTENTS.*Nonsense/)
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/)
  })

  test('BOTS_PER_WORKER: 1 by default (a thread per bot); a thread hosting N bots may hold N × WORKER_MAX_HEAP_MB', () => {
    expect(loadConfig({}).BOTS_PER_WORKER).toBe(1)
    expect(() => loadConfig({ BOTS_PER_WORKER: '0' })).toThrow(/BOTS_PER_WORKER/)
    const mb = (config: ReturnType<typeof loadConfig>) => lifecycleSettings(config).maxHeapBytes / 1_048_576
    expect(mb(loadConfig({ WORKER_MAX_HEAP_MB: '256' }))).toBe(256)
    expect(mb(loadConfig({ WORKER_MAX_HEAP_MB: '256', BOTS_PER_WORKER: '10' }))).toBe(2_560)
  })

  test('DISCORD_INTENTS takes intent names or a bitfield', () => {
    expect(loadConfig({ DISCORD_INTENTS: 'Guilds, GuildMessages' }).DISCORD_INTENTS).toBe(
      GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages,
    )
    expect(loadConfig({ DISCORD_INTENTS: '513' }).DISCORD_INTENTS).toBe(513)
  })

  test('CORS_ORIGINS is a comma list of origins', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example' }).CORS_ORIGINS).toEqual([
      'https://a.example',
      'https://b.example',
    ])
  })
})
