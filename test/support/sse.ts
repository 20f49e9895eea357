import { waitFor } from './stack.ts'

export type SseFrame = { id: string | null; event: string; data: any }

/** A GET /api/events reader that parses the stream as it comes: frames, comment lines, and whether it ended. */
export type SseReader = {
  status: number
  headers: Headers
  frames: SseFrame[]
  /** Events of these types (frames with an id). */
  of(type: string): SseFrame[]
  comments: string[]
  ended: boolean
  /** Waits until `check` holds on what was read (bounded). */
  until<T>(check: (reader: SseReader) => T | undefined | false, timeoutMs?: number): Promise<T>
  close(): void
}

export async function openSse(baseUrl: string, path: string, sessionId: string, headers: Record<string, string> = {}) {
  const abort = new AbortController()
  const res = await fetch(baseUrl + path, { headers: { authorization: sessionId, ...headers }, signal: abort.signal })
  const reader: SseReader = {
    status: res.status,
    headers: res.headers,
    frames: [],
    of: (type) => reader.frames.filter((frame) => frame.event === type),
    comments: [],
    ended: false,
    async until(check, timeoutMs = 15_000) {
      return waitFor(() => check(reader) || undefined, { timeoutMs }) as Promise<never>
    },
    close: () => abort.abort(),
  }
  if (!res.body || res.status !== 200) {
    reader.ended = true
    return reader
  }
  void (async () => {
    const decoder = new TextDecoder()
    let text = ''
    try {
      const body = (res.body as ReadableStream<Uint8Array>).getReader()
      for (let chunk = await body.read(); !chunk.done; chunk = await body.read()) {
        text += decoder.decode(chunk.value, { stream: true })
        for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
          parse(reader, text.slice(0, end))
          text = text.slice(end + 2)
        }
      }
    } catch {
      // aborted by close(): the reader's own doing
    }
    reader.ended = true
  })()
  return reader
}

function parse(reader: SseReader, block: string) {
  let id: string | null = null
  let event = 'message'
  let data = ''
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) reader.comments.push(line.slice(1).trim())
    else if (line.startsWith('id: ')) id = line.slice(4)
    else if (line.startsWith('event: ')) event = line.slice(7)
    else if (line.startsWith('data: ')) data += line.slice(6)
  }
  if (data) reader.frames.push({ id, event, data: JSON.parse(data) })
}
