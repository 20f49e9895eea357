import type { BotHandle } from '../pool/bot-types.ts'
import type { Session } from '../sessions/store.ts'

/** What middleware puts on a request's context for the handlers after it. */
export type AppEnv = {
  Variables: {
    session: Session
    bot: BotHandle
  }
}
