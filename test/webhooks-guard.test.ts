import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { LookupAddress } from 'node:dns'
import { request } from 'node:http'
import type { LookupFunction } from 'node:net'
import { forbiddenAddress, registrationProblem, type Resolve } from '../src/webhooks/address-guard.ts'
import { postOnce } from '../src/webhooks/deliver.ts'
import { judge, parseRetryAfter, retryDelayMs } from '../src/webhooks/retry-policy.ts'

describe('the address filter', () => {
  const forbidden = [
    '0.0.0.0',
    '0.1.2.3',
    '10.0.0.1',
    '10.255.255.255',
    '100.64.0.1',
    '100.127.255.254',
    '127.0.0.1',
    '127.255.0.9',
    '169.254.0.1',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.8',
    '192.168.1.1',
    '198.18.0.1',
    '224.0.0.251',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '[::1]',
    'fc00::1',
    'fd12:3456:789a::1',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    'fec0::1',
    'ff02::1',
    'FF05::2',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '::127.0.0.1',
    '64:ff9b::10.0.0.1',
    '64:ff9b::a9fe:a9fe',
  ]
  test.each(forbidden)('%s is refused', (address) => {
    expect(forbiddenAddress(address)).not.toBeNull()
  })

  const allowed = [
    '1.1.1.1',
    '8.8.8.8',
    '9.255.255.255',
    '11.0.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '126.255.255.255',
    '128.0.0.1',
    '169.253.255.255',
    '172.15.255.255',
    '172.32.0.1',
    '192.167.255.255',
    '192.169.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    'fbff::1',
    'fe7f::1',
  ]
  test.each(allowed)('%s is allowed', (address) => {
    expect(forbiddenAddress(address)).toBeNull()
  })

  test('the metadata address is named for what it is', () => {
    expect(forbiddenAddress('169.254.169.254')).toContain('metadata')
  })

  test('what is not an IP address is never allowed', () => {
    expect(forbiddenAddress('example.com')).not.toBeNull()
  })
})

describe('the retry rules', () => {
  test.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [301, 'final'],
    [307, 'final'],
    [400, 'final'],
    [404, 'final'],
    [408, 'retry'],
    [410, 'final'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
  ] as const)('HTTP %i → %s', (statusCode, verdict) => {
    expect(judge({ kind: 'answered', statusCode, retryAfterMs: null })).toBe(verdict)
  })

  test('timeouts and connection errors are retried; a refused address is not', () => {
    expect(judge({ kind: 'timeout' })).toBe('retry')
    expect(judge({ kind: 'network', message: 'ECONNREFUSED' })).toBe('retry')
    expect(judge({ kind: 'refused', message: 'internal' })).toBe('final')
  })

  test('backoff doubles from the base, jitter between half and all of it, capped; Retry-After capped too', () => {
    const policy = { baseMs: 1000, maxMs: 10_000 }
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, null, policy, () => 0))).toEqual([
      500, 1000, 2000, 4000, 5000, 5000,
    ])
    expect(retryDelayMs(3, null, policy, () => 0.999_999)).toBe(4000)
    expect(retryDelayMs(1, 3000, policy, () => 0)).toBe(3000)
    expect(retryDelayMs(1, 3_600_000, policy, () => 0)).toBe(10_000)
  })

  test('Retry-After is read as seconds or as an HTTP date', () => {
    const now = Date.UTC(2026, 10, 25, 12)
    expect(parseRetryAfter('7', now)).toBe(7000)
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000)
    expect(parseRetryAfter('soon', now)).toBeNull()
    expect(parseRetryAfter(undefined, now)).toBeNull()
  })
})

describe('the connect-time check', () => {
  let received = 0
  let server: ReturnType<typeof Bun.serve>
  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch() {
        received++
        return new Response('ok')
      },
    })
  })
  afterAll(() => server.stop(true))

  const post = (url: string, resolve?: Resolve, allowPrivate = false) =>
    postOnce(
      new URL(url),
      '{}',
      { 'Content-Type': 'application/json' },
      {
        timeoutMs: 5000,
        allowPrivate,
        resolve,
        signal: new AbortController().signal,
        now: Date.now,
      },
    )

  test('a name resolving to loopback (localhost) is refused before any byte is sent', async () => {
    const before = received
    const result = await post(`http://localhost:${server.port}/hook`)
    expect(result).toMatchObject({ kind: 'refused' })
    expect(received).toBe(before)
  })

  test('a literal internal IP is refused before connecting', async () => {
    const before = received
    expect(await post(`http://127.0.0.1:${server.port}/hook`)).toMatchObject({ kind: 'refused' })
    expect(await post(`http://[::ffff:127.0.0.1]:${server.port}/hook`)).toMatchObject({ kind: 'refused' })
    expect(received).toBe(before)
  })

  test('DNS rebinding: a name that now lists an internal address among public ones is refused', async () => {
    const rebound: Resolve = async () =>
      [
        { address: '93.184.215.14', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ] satisfies LookupAddress[]
    const before = received
    const result = await post(`http://hooks.example.test:${server.port}/hook`, rebound)
    expect(result).toMatchObject({ kind: 'refused' })
    if (result.kind === 'refused') expect(result.message).toContain('127.0.0.1')
    expect(received).toBe(before)
  })

  test("Bun connects where node:http's `lookup` says: the address the guard checked is the one used", async () => {
    // a made-up name reaches the loopback receiver only through the lookup; were Bun to ignore the option (its
    // fetch has no such hook), the name would not resolve and the guard would check nothing
    const before = received
    const asked: string[] = []
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: 'made-up.example.test',
          port: server.port,
          path: '/',
          lookup: ((host, options, callback) => {
            asked.push(host)
            if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }])
            else callback(null, '127.0.0.1', 4)
          }) satisfies LookupFunction,
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(200)
    expect(asked).toEqual(['made-up.example.test'])
    expect(received).toBe(before + 1)
  })

  test('with ALLOW_PRIVATE_WEBHOOKS loopback is reached', async () => {
    expect(await post(`http://127.0.0.1:${server.port}/hook`, undefined, true)).toMatchObject({
      kind: 'answered',
      statusCode: 200,
    })
  })
})

describe('the registration check', () => {
  test('literal internal IPs and names resolving only to internal addresses are refused early', async () => {
    expect(await registrationProblem('10.1.2.3')).toContain('private')
    expect(await registrationProblem('[::1]')).toContain('loopback')
    expect(await registrationProblem('localhost')).toContain('only to internal addresses')
    expect(await registrationProblem('169.254.169.254')).toContain('metadata')
    expect(await registrationProblem('8.8.8.8')).toBeNull()
  })

  test('a name with one public address passes registration (delivery still checks every address)', async () => {
    const mixed: Resolve = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.1', family: 4 },
    ]
    expect(await registrationProblem('mixed.example.test', mixed)).toBeNull()
  })

  test('a name that does not resolve is refused', async () => {
    const nothing: Resolve = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })
    }
    expect(await registrationProblem('nowhere.example.test', nothing)).toContain('does not resolve')
  })

  test('a resolver that never answers is given up on', async () => {
    const never: Resolve = () => new Promise(() => {})
    expect(await registrationProblem('slow.example.test', never, 10)).toContain('does not resolve')
  })
})
