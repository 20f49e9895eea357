/** One Server-Sent Events frame as the bench reads it: its id, event type and data line. */
export type SseFrame = { id: string | undefined; event: string | undefined; data: string | undefined }

/**
 * Reads a GET /api/events body to its end, handing each frame to `onFrame` as it arrives. Resolves when the
 * stream ends or is aborted (the bench aborts the readers it is done with).
 */
export async function readSseFrames(body: ReadableStream<Uint8Array>, onFrame: (frame: SseFrame) => void) {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      text += decoder.decode(chunk.value, { stream: true })
      for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
        const block = text.slice(0, end)
        text = text.slice(end + 2)
        onFrame({
          id: /^id: (.*)$/m.exec(block)?.[1],
          event: /^event: (.*)$/m.exec(block)?.[1],
          data: /^data: (.*)$/m.exec(block)?.[1],
        })
      }
    }
  } catch {
    // aborted: the bench is done with this reader
  }
}
