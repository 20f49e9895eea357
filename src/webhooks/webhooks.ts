import { nanoid } from 'nanoid'
import type { EventFeed, EventType, PublishedEvent } from '../events/types.ts'
import { AppError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { registrationProblem, type Resolve } from './address-guard.ts'
import {
  createDeliveryQueue,
  systemClock,
  type DeliveryQueue,
  type DeliverySettings,
  type WebhookClock,
} from './delivery-queue.ts'
import { generateSecret } from './signature.ts'
import type { WebhookStore } from './store.ts'
import type { DeliveryOutcome, DeliveryRecord, StoredWebhook } from './types.ts'

export type NewWebhook = { url: string; events: EventType[]; secret?: string }

/** A webhook as the API lists it: never its secret. */
export type WebhookView = Omit<StoredWebhook, 'secret' | 'botId'> & { queued: number }

export interface Webhooks {
  /** The stored webhook and its secret: the only time the secret is handed out. */
  register(botId: string, input: NewWebhook): Promise<{ webhook: WebhookView; secret: string }>
  list(botId: string): Promise<WebhookView[]>
  /** 404 for a webhook of another bot, as for one that does not exist. */
  deliveries(botId: string, webhookId: string): Promise<DeliveryRecord[]>
  sendTest(botId: string, webhookId: string): Promise<DeliveryRecord>
  remove(botId: string, webhookId: string): Promise<void>
  /** Events waiting in every queue: the queued-deliveries gauge. */
  queued(): number
  /** Subscribes the stored webhooks again (a store that outlives the process; the memory one starts empty). */
  restore(): Promise<void>
  stop(): void
}

export type WebhookDeps = {
  feed: EventFeed
  store: WebhookStore
  log: Logger
  settings: DeliverySettings & { maxPerBot: number }
  clock?: WebhookClock
  random?: () => number
  /** The resolver behind the address guard; tests give names addresses of their choosing. */
  resolve?: Resolve
  onAttempt?: (outcome: DeliveryOutcome, durationMs: number) => void
}

const notFound = () => new AppError(404, 'not_found', 'No such webhook')

/** Registration, listing and one delivery queue per active webhook, fed from the bot's events. */
export function createWebhooks(deps: WebhookDeps): Webhooks {
  const { feed, store, log, settings } = deps
  const clock = deps.clock ?? systemClock
  const queueDeps = { ...deps, clock, random: deps.random ?? Math.random }
  /** Per bot: its feed subscription and the queues of its webhooks (the listener only enqueues). */
  const bots = new Map<
    string,
    { unsubscribe: () => void; queues: Map<string, { types: Set<string>; queue: DeliveryQueue }> }
  >()

  function attach(webhook: StoredWebhook) {
    let bot = bots.get(webhook.botId)
    if (!bot) {
      const queues = new Map<string, { types: Set<string>; queue: DeliveryQueue }>()
      const unsubscribe = feed.subscribe(webhook.botId, (published: PublishedEvent) => {
        for (const { types, queue } of queues.values()) if (types.has(published.event.type)) queue.enqueue(published)
      })
      bot = { unsubscribe, queues }
      bots.set(webhook.botId, bot)
    }
    bot.queues.set(webhook.webhookId, {
      types: new Set(webhook.events),
      queue: createDeliveryQueue(webhook, queueDeps),
    })
  }

  function detach(botId: string, webhookId: string) {
    const bot = bots.get(botId)
    bot?.queues.get(webhookId)?.queue.close()
    bot?.queues.delete(webhookId)
    if (bot && bot.queues.size === 0) {
      bot.unsubscribe()
      bots.delete(botId)
    }
  }

  const queueOf = (botId: string, webhookId: string) => bots.get(botId)?.queues.get(webhookId)?.queue

  const view = ({ secret: _secret, botId, ...rest }: StoredWebhook): WebhookView => ({
    ...rest,
    queued: queueOf(botId, rest.webhookId)?.size() ?? 0,
  })

  async function found(botId: string, webhookId: string): Promise<StoredWebhook> {
    const webhook = await store.get(botId, webhookId)
    if (!webhook) throw notFound()
    return webhook
  }

  return {
    async register(botId, input) {
      const url = new URL(input.url)
      if (url.username || url.password) {
        throw new AppError(400, 'bad_request', 'url: must not carry credentials (they would be listed with it)')
      }
      if (!settings.allowPrivate) {
        const problem = await registrationProblem(url.hostname, deps.resolve)
        if (problem) throw new AppError(400, 'bad_request', `url: ${problem}`)
      }
      const secret = input.secret ?? generateSecret()
      const webhook: StoredWebhook = {
        webhookId: `wh_${nanoid(21)}`,
        botId,
        url: url.href,
        events: [...input.events],
        secret,
        createdAt: clock.now(),
        status: 'active',
        disabledReason: null,
        disabledAt: null,
        failingSince: null,
      }
      if ((await store.create(webhook, settings.maxPerBot)) === 'limit_reached') {
        throw new AppError(
          409,
          'capacity_reached',
          `This bot already has ${settings.maxPerBot} webhooks (MAX_WEBHOOKS_PER_BOT): delete one first`,
        )
      }
      attach(webhook)
      log.info({ webhook: webhook.webhookId, bot: botId, target: url.origin }, 'webhook registered')
      return { webhook: view(webhook), secret }
    },
    async list(botId) {
      return (await store.listByBot(botId)).sort((a, b) => a.createdAt - b.createdAt).map(view)
    },
    async deliveries(botId, webhookId) {
      await found(botId, webhookId)
      return store.deliveries(botId, webhookId)
    },
    async sendTest(botId, webhookId) {
      const webhook = await found(botId, webhookId)
      // id 0: real events count from 1, so a ping never takes (or looks like) a number of the bot's sequence
      const ping = {
        id: 0,
        type: 'ping',
        botId,
        at: new Date(clock.now()).toISOString(),
        data: { webhookId, message: 'Test delivery from Botvisor' },
      }
      // a disabled webhook has no queue; a test still reaches its receiver (to check a fix before re-creating it)
      const queue = queueOf(botId, webhookId) ?? createDeliveryQueue(webhook, queueDeps)
      return queue.sendOnce(0, 'ping', JSON.stringify(ping))
    },
    async remove(botId, webhookId) {
      if (!(await store.delete(botId, webhookId))) throw notFound()
      detach(botId, webhookId)
      log.info({ webhook: webhookId, bot: botId }, 'webhook deleted')
    },
    queued() {
      let total = 0
      for (const bot of bots.values()) for (const { queue } of bot.queues.values()) total += queue.size()
      return total
    },
    async restore() {
      for (const webhook of await store.listAll()) if (webhook.status === 'active') attach(webhook)
    },
    stop() {
      for (const [botId, bot] of bots) for (const webhookId of [...bot.queues.keys()]) detach(botId, webhookId)
    },
  }
}
