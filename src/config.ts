import { z } from 'zod'
import { parseIntents } from './discord/intents.ts'
import { parseDuration } from './store/duration.ts'
import { decodeKeyText, KEY_TEXT_RULE } from './store/secret-key.ts'

const positiveMs = (fallback: number) => z.coerce.number().int().positive().max(600_000).default(fallback)

const commaList = z
  .string()
  .default('')
  .transform((text) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  )

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  // The origin (and path prefix, behind a proxy) clients reach the service at: absolute URLs in Link and
  // Location use it. Unset: the request's own origin, from a Host header checked well formed (src/http/host.ts).
  PUBLIC_URL: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .url({ protocol: /^https?$/ })
      .refine((text) => !/[?#]/.test(text), 'must have no query or fragment')
      .transform((text) => text.replace(/\/+$/, ''))
      .optional(),
  ),
  DISCORD_API_URL: z.url().default('https://discord.com/api'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGINS: commaList.pipe(z.array(z.url())),
  LOGIN_TIMEOUT_MS: positiveMs(15_000),
  RPC_TIMEOUT_MS: positiveMs(5_000),
  DISCORD_INTENTS: z
    .string()
    // reactions and typing: not privileged, and live events tell them (GET /api/events)
    .default('Guilds,GuildMembers,GuildMessages,MessageContent,GuildMessageReactions,GuildMessageTyping')
    .transform((text, ctx) => {
      const parsed = parseIntents(text)
      if (typeof parsed === 'number') return parsed
      ctx.addIssue({ code: 'custom', message: parsed.error })
      return z.NEVER
    }),
  MAX_BOTS: z.coerce.number().int().positive().max(10_000).default(500),
  // Worker start-ups are CPU-bound (~200 ms of module loading each, docs/facts.md): more at once only thrash.
  LOGIN_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  // A login waits at most this long for its bot to start, start queue included; then 503, and the start is
  // cancelled when no other login waits for it (as it is when the client disconnects).
  LOGIN_WAIT_MS: positiveMs(60_000),
  // Sessions (logins) per bot: each holds memory and log lines; more → 429 (issue #13: default 100).
  MAX_SESSIONS_PER_BOT: z.coerce.number().int().positive().max(1_000_000).default(100),
  // Before a worker is spent on a token, the gateway asks Discord once (GET /users/@me), within this deadline.
  TOKEN_CHECK_TIMEOUT_MS: positiveMs(5_000),
  // Tokens Discord rejected are answered 401 from memory (by SHA-256) this long, without asking Discord again.
  REJECTED_TOKEN_TTL_MS: z.coerce.number().int().min(0).max(86_400_000).default(3_600_000),
  // Login attempts per client IP: a token bucket of LOGIN_BURST refilled at LOGIN_PER_MINUTE; a failed attempt
  // (not a token, or rejected by Discord) costs LOGIN_FAILURE_COST units in all, a good one 1.
  LOGIN_BURST: z.coerce.number().int().positive().max(1_000_000).default(20),
  LOGIN_PER_MINUTE: z.coerce.number().positive().max(1_000_000).default(30),
  LOGIN_FAILURE_COST: z.coerce.number().int().min(1).max(1_000).default(10),
  // Logins in progress at once per client IP.
  LOGIN_MAX_PENDING_PER_IP: z.coerce.number().int().positive().max(100_000).default(8),
  // Proxies (exact addresses) whose X-Forwarded-For is believed for the client IP; none by default.
  TRUST_PROXY: commaList.pipe(z.array(z.union([z.ipv4(), z.ipv6()]))),
  // Workers kept spawned with discord.js loaded, so a login never waits for a cold start.
  WARM_SPARE_WORKERS: z.coerce.number().int().min(0).max(1).default(1),
  // 1: workers start from the bundle with JSC bytecode (scripts/build-worker.ts): ready in ~80 ms instead of
  // ~140 ms, a restart of 50 bots 30–50 % faster, but +1.7 MB per logged-in bot (measured 2026-11-25).
  WORKER_BYTECODE: z
    .enum(['0', '1'])
    .default('0')
    .transform((flag) => flag === '1'),
  // Bots sharing one worker thread. 1: a thread per bot, so one bot's crash, hang or load never touches another.
  // N > 1: N discord.js clients per thread (the code loaded once per thread is ~90 % of a bot's memory: ~2 MB per
  // idle bot at 10 instead of ~17 MB, README "Performance"), and a crash or hang there restarts all N (each RESUMEs).
  BOTS_PER_WORKER: z.coerce.number().int().min(1).max(100).default(1),
  // Workers whose bot logged out cleanly, kept (reset) for the next login instead of terminated: Bun leaks
  // some memory per Worker created (docs/facts.md). 0: terminate every one.
  IDLE_WORKERS: z.coerce.number().int().min(0).max(64).default(2),
  // A crash restart RESUMEs the gateway session (no IDENTIFY spent) by driving discord.js internals that
  // workers/resume.ts pins to a version; 0 always IDENTIFYs.
  RESUME_ON_RESTART: z
    .enum(['0', '1'])
    .default('1')
    .transform((flag) => flag === '1'),
  // Supervision: OTP-style intensity (more than RESTART_MAX restarts within RESTART_WINDOW_MS → failed),
  // exponential backoff with jitter, reset after RESTART_STABLE_MS of good health.
  RESTART_MAX: z.coerce.number().int().min(0).max(1000).default(5),
  RESTART_WINDOW_MS: positiveMs(60_000),
  RESTART_BACKOFF_BASE_MS: positiveMs(100),
  RESTART_BACKOFF_MAX_MS: positiveMs(10_000),
  RESTART_STABLE_MS: positiveMs(60_000),
  // How long a call may wait for a restarting bot before answering 503 with Retry-After.
  RESTART_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
  HEALTH_CHECK_INTERVAL_MS: positiveMs(5_000),
  HEALTH_CHECK_TIMEOUT_MS: positiveMs(2_000),
  // A worker whose JS heap passes this (its own report, each second) is recycled (like pm2's max_memory_restart);
  // per bot: a thread hosting BOTS_PER_WORKER bots may hold that many times this.
  WORKER_MAX_HEAP_MB: z.coerce.number().int().min(16).max(65_536).default(512),
  // Automatic restarts refuse to IDENTIFY when Discord says this few (or fewer) are left today.
  IDENTIFY_RESERVE: z.coerce.number().int().min(0).max(1000).default(10),
  // Discord bans an IP past 10 000 invalid requests (401/403/429) in 10 minutes: fail fast before that.
  INVALID_REQUEST_LIMIT: z.coerce.number().int().positive().max(10_000).default(9_000),
  // One bot's own share of that limit, in percent: past it, only that bot's Discord-bound routes fail fast.
  INVALID_REQUEST_BOT_SHARE: z.coerce.number().int().min(1).max(100).default(10),
  // Discord's 403/404 answers to a read are replayed this long per (bot, route): hammering a hidden channel
  // reaches Discord once per period. 0 turns it off. A channel, role or member update drops them sooner.
  DISCORD_REFUSAL_CACHE_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  // Identical warnings (client errors, Discord's refusals) are written once per key per this period, then
  // once more with the count of those left out.
  LOG_REPEAT_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  // Where the service keeps files of its own (a generated admin token; durable state later). Created if missing.
  DATA_DIR: z.string().min(1).default('./data'),
  // empty counts as unset: the service then generates one and writes it to DATA_DIR/admin-token
  ADMIN_TOKEN: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.string().min(16, 'must be at least 16 characters').optional(),
  ),
  // The durable store (src/store/): the key that encrypts bot tokens at rest. Unset: generated once into
  // DATA_DIR/secret.key (mode 600). Empty counts as unset; the value is never echoed in an error.
  TOKEN_ENCRYPTION_KEY: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .refine((text) => decodeKeyText(text) !== undefined, KEY_TEXT_RULE)
      .optional(),
  ),
  // Sessions unused this long end (e.g. "7d", "12h", "30m"; "0": never). In ms once parsed.
  SESSION_IDLE_TTL: z
    .string()
    .default('7d')
    .transform((text, ctx) => {
      const ms = parseDuration(text)
      if (ms !== undefined) return ms
      ctx.addIssue({
        code: 'custom',
        message: 'must be a number with a unit (ms, s, m, h, d), e.g. 7d, or 0 for never',
      })
      return z.NEVER
    }),
  // How often idle sessions are looked for (src/sessions/expiry.ts): a session lives at most
  // SESSION_IDLE_TTL + this unused. One sweep for all sessions, no timer per session.
  SESSION_SWEEP_INTERVAL_MS: positiveMs(60_000),
  METRICS_PUBLIC: z
    .enum(['0', '1'])
    .default('0')
    .transform((flag) => flag === '1'),
  SHUTDOWN_GRACE_MS: positiveMs(10_000),
  // 0 sends the hottest cached reads through the full app too (src/http/fast-reads.ts): same answers, slower.
  FAST_READS: z
    .enum(['0', '1'])
    .default('1')
    .transform((flag) => flag === '1'),
  // 0 sends every POST /api/messages through the full app too (src/http/fast-sends.ts): same answers, more CPU.
  FAST_SENDS: z
    .enum(['0', '1'])
    .default('1')
    .transform((flag) => flag === '1'),
  // On SIGTERM, answer /readyz 503 but keep serving this long before closing the listener: a load balancer
  // polling /readyz takes the node out meanwhile, so no client meets a refused connection. 0 on a laptop.
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .max(10_000_000)
    .default(64 * 1024),
  // Webhooks (src/webhooks/): one delivery attempt's deadline, attempts per event, and how long a webhook may
  // fail without a single success before it is disabled.
  WEBHOOK_TIMEOUT_MS: positiveMs(5_000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  WEBHOOK_DISABLE_AFTER_MS: z.coerce.number().int().positive().max(2_592_000_000).default(86_400_000),
  // Retries back off exponentially from the base (jitter: half to all of it), capped; Retry-After too is capped.
  WEBHOOK_RETRY_BASE_MS: positiveMs(1_000),
  WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().positive().max(86_400_000).default(300_000),
  // Events waiting per webhook behind the one being delivered; past it new events are dropped (and recorded).
  WEBHOOK_QUEUE_MAX: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  MAX_WEBHOOKS_PER_BOT: z.coerce.number().int().min(1).max(1_000).default(20),
  // 1 lets webhooks reach loopback, private, link-local and other internal addresses (tests; never in production).
  ALLOW_PRIVATE_WEBHOOKS: z
    .enum(['0', '1'])
    .default('0')
    .transform((flag) => flag === '1'),
  // Live events (GET /api/events): each bot's last EVENT_BUFFER_SIZE events are kept for readers that reconnect.
  EVENT_BUFFER_SIZE: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  // An SSE comment this often keeps proxies from closing an idle stream.
  SSE_KEEPALIVE_MS: positiveMs(15_000),
  // A reader this far behind (bytes waiting for it, beyond what the kernel's socket buffers hold) is cut off with
  // `event: overflow`. 1 MiB is ~2 000 message events: seconds of a busy bot, so a live reader never meets it, while
  // MAX_SESSIONS_PER_BOT stalled readers of one bot hold at most 1 GiB, not the bot's whole history each.
  SSE_MAX_BUFFERED_BYTES: z.coerce.number().int().min(1_024).max(1_073_741_824).default(1_048_576),
  // Idempotency-Key: how long an answer is replayed for its key, and how many keys (all bots together) are kept
  // in memory before the oldest go (src/store/idempotency-memory.ts; about 1 KB each for a sent message).
  IDEMPOTENCY_TTL_MS: z.coerce
    .number()
    .int()
    .positive()
    .max(7 * 86_400_000)
    .default(86_400_000),
  IDEMPOTENCY_MAX_KEYS: z.coerce.number().int().positive().max(10_000_000).default(100_000),
  // Off by default: lets tests make a worker throw, reject, exit or hang on purpose.
  WORKER_TEST_HOOKS: z
    .enum(['0', '1'])
    .default('0')
    .transform((flag) => flag === '1'),
  // With WORKER_TEST_HOOKS: every worker breaks this way while it logs in (a hung start is not a slow Discord).
  WORKER_TEST_START_FAULT: z.enum(['none', 'throw', 'reject', 'exit', 'hang', 'grow']).default('none'),
})

export type Config = Readonly<z.infer<typeof EnvSchema>>

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env)
  if (parsed.success) return Object.freeze(parsed.data)
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
  throw new Error(`Invalid configuration:\n${problems.join('\n')}`)
}
