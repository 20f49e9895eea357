import { expect, test } from 'bun:test'
import { bodyAfterAwait, CORKED_BODY_BYTES } from '../src/http/after-await-body.ts'

// The workaround for Bun's uncorked writes after an await (src/http/after-await-body.ts) changes how a large body
// leaves, never its bytes.
test('a body that fits the cork buffer is left as it is', () => {
  const small = JSON.stringify({ content: 'x'.repeat(CORKED_BODY_BYTES - 100) })
  expect(bodyAfterAwait(small)).toBe(small)
})

test('a larger body goes out as a stream of exactly its UTF-8 bytes, multi-byte characters across pieces included', async () => {
  // 3-byte and 4-byte characters, so piece boundaries (8 KB) fall inside characters
  const large = JSON.stringify(
    Array.from({ length: 1_500 }, (_, i) => ({ id: String(i), content: `€ 😀 ${'é'.repeat(i % 7)}` })),
  )
  const utf8 = new TextEncoder().encode(large)
  expect(utf8.length).toBeGreaterThan(2 * CORKED_BODY_BYTES)
  const sent = bodyAfterAwait(large)
  expect(typeof sent).not.toBe('string')
  const res = new Response(sent, { headers: { 'content-type': 'application/json' } })
  expect(new Uint8Array(await res.arrayBuffer())).toEqual(utf8)
})

test('through Bun.serve after an await: the client reads the same JSON', async () => {
  const large = JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ id: String(i), name: `member ${i} ✓` })))
  using server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch() {
      await Bun.sleep(1)
      return new Response(bodyAfterAwait(large), { headers: { 'content-type': 'application/json' } })
    },
  })
  const res = await fetch(`http://127.0.0.1:${server.port}/`)
  expect(res.status).toBe(200)
  expect(await res.text()).toBe(large)
})
