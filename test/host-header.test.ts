import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { startStack, type Stack } from './support/stack.ts'

/**
 * What a client that sends HTTP by hand gets: fetch() always sends a good Host, so these tests write the request
 * line and headers themselves over a loopback socket.
 */
type RawReply = { status: number; headers: Map<string, string>; body: string }

function rawRequest(url: string, head: string): Promise<RawReply> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(`${head}\r\n\r\n`))
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString()
      const split = text.indexOf('\r\n\r\n')
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n')
      const headers = new Map(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      )
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: text.slice(split + 4) })
    })
  })
}

const PUBLIC_URL = 'https://bots.example/botvisor'
let stack: Stack
let sessionId: string
let channelId: string

beforeAll(async () => {
  stack = await startStack({ PUBLIC_URL })
  ;({ sessionId } = await stack.login(stack.discord.tokens.alpha))
  channelId = stack.discord.world.ids.generalChannel
})
afterAll(() => stack.stop())

const get = (path: string, hostLines: string, version = 'HTTP/1.1') =>
  rawRequest(stack.url, `GET ${path} ${version}\r\n${hostLines}Authorization: ${sessionId}\r\nConnection: close`)

describe('the Host header', () => {
  for (const host of ['a@b', 'a b', 'a:b', 'x:80:80', 'ünï', 'example.com:99999']) {
    test(`Host: ${host} is a JSON 400 on the short path and on the app, never a 500`, async () => {
      // the newest messages are the short path's once cached; `before` always goes through the app
      await stack.get(`/api/messages?channelId=${channelId}&limit=1`, sessionId)
      for (const path of [`/api/messages?channelId=${channelId}&limit=1`, '/api/guilds', '/api/members']) {
        const reply = await get(path, `Host: ${host}\r\n`)
        expect(reply.status).toBe(400)
        expect(reply.headers.get('content-type')).toStartWith('application/json')
        expect(reply.headers.get('x-content-type-options')).toBe('nosniff')
        expect(JSON.parse(reply.body)).toEqual({ error: 'Invalid Host header', code: 'bad_request' })
      }
    })
  }

  test('a request without Host is routed by its whole path: /ab/api/guilds is not /api/guilds', async () => {
    const short = await get('/ab/api/guilds', '', 'HTTP/1.0')
    expect(short.status).toBe(404)
    expect(JSON.parse(short.body).code).toBe('not_found')
    const served = await get('/api/guilds', '', 'HTTP/1.0')
    expect(served.status).toBe(200)
    expect(JSON.parse(served.body).length).toBeGreaterThan(0)
  })

  test('Link and Location are built on PUBLIC_URL, whatever Host the request named (or none)', async () => {
    const paths = [
      `/api/messages?channelId=${channelId}&limit=1`, // short path once cached
      `/api/messages?channelId=${channelId}&limit=1&before=${'9'.repeat(19)}`, // always the app
    ]
    await stack.get(paths[0]!, sessionId)
    for (const path of paths) {
      for (const [hostLines, version] of [
        ['', 'HTTP/1.0'],
        ['Host: evil.example\r\n', 'HTTP/1.1'],
      ] as const) {
        const reply = await get(path, hostLines, version)
        expect(reply.status).toBe(200)
        expect(reply.headers.get('link')).toStartWith(`<${PUBLIC_URL}/api/messages?`)
      }
    }
    const document = await fetch(`${stack.url}/openapi.json`).then((res) => res.json())
    expect(document.servers[0].url).toBe(PUBLIC_URL)
    const sent = await stack.post('/api/messages', { channelId, content: 'where is it' }, sessionId)
    expect(sent.status).toBe(201)
    expect(sent.headers.get('location')).toStartWith(`${PUBLIC_URL}/api/messages?`)
  })
})
