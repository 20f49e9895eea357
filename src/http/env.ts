import type { BotHandle } from '../pool/bot-types.ts'
import type { Session } from '../sessions/store.ts'

/** What middleware puts on a request's context for the handlers after it. */
export type AppEnv = {
  /** What Bun.serve knows of the connection (src/http/app.ts passes it to app.fetch); absent in app.request(). */
  Bindings: { peerAddress?: string } | undefined
  Variables: {
    session: Session
    bot: BotHandle
  }
}
