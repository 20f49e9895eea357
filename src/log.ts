import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino'

export type { Logger }

// Literal paths, fixed at start-up: cheaper than wildcards, and never built from input.
const REDACTED_PATHS = ['token', 'options.token', 'body.token', 'headers.authorization', 'req.headers.authorization']

export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  return pino({ level, base: undefined, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination)
}

/** A session id is a bearer credential: logs carry a short label that cannot be replayed. */
export const sessionLabel = (sessionId: string): string => `${sessionId.slice(0, 6)}…`
