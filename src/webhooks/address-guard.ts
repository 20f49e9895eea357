import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP } from 'node:net'

/**
 * The SSRF guard: which addresses a webhook may never reach. Checked at connect time, on every address the name
 * resolved to (deliver.ts hands `guardedLookup` to node:http, which Bun honours, test/webhooks-guard.test.ts),
 * so a name that resolved to a public address at registration and to an internal one later (DNS rebinding) fails.
 */

type V4Range = readonly [base: number, prefix: number, why: string]

const v4 = (text: string): number => text.split('.').reduce((n, part) => n * 256 + Number(part), 0)

// RFC 6890's special-purpose registry, the parts that lead into a network rather than out of it.
const FORBIDDEN_V4: readonly V4Range[] = [
  [v4('0.0.0.0'), 8, 'unspecified ("this network")'],
  [v4('10.0.0.0'), 8, 'private'],
  [v4('100.64.0.0'), 10, 'carrier-grade NAT'],
  [v4('127.0.0.0'), 8, 'loopback'],
  [v4('169.254.0.0'), 16, 'link-local (cloud metadata lives at 169.254.169.254)'],
  [v4('172.16.0.0'), 12, 'private'],
  [v4('192.0.0.0'), 24, 'IETF protocol assignments'],
  [v4('192.168.0.0'), 16, 'private'],
  [v4('198.18.0.0'), 15, 'benchmarking'],
  [v4('224.0.0.0'), 4, 'multicast'],
  [v4('240.0.0.0'), 4, 'reserved (broadcast included)'],
]

function forbiddenV4(address: string): string | null {
  const n = v4(address)
  for (const [base, prefix, why] of FORBIDDEN_V4) {
    const size = 2 ** (32 - prefix)
    if (n >= base && n < base + size) return why
  }
  return null
}

/** Eight 16-bit groups of an IPv6 address (an embedded dotted IPv4 tail becomes the last two). */
function v6Groups(address: string): number[] {
  let text = address
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/)?.[1]
  if (dotted) {
    const n = v4(dotted)
    text = `${text.slice(0, -dotted.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)))
  const front = parse(head)
  const back = tail === undefined ? [] : parse(tail)
  const zeros = new Array<number>(8 - front.length - back.length).fill(0)
  return [...front, ...zeros, ...back]
}

const embeddedV4 = (groups: number[]): string =>
  [groups[6] ?? 0, groups[7] ?? 0].flatMap((group) => [group >> 8, group & 0xff]).join('.')

function forbiddenV6(address: string): string | null {
  const groups = v6Groups(address)
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0] = groups
  const firstSixZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0
  if (firstSixZero && groups[6] === 0 && groups[7] === 0) return 'unspecified'
  if (firstSixZero && groups[6] === 0 && groups[7] === 1) return 'loopback'
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (the deprecated compatible form) and 64:ff9b::a.b.c.d (NAT64) reach the
  // IPv4 address they carry: judge that one.
  const mapped = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff
  const nat64 = g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0
  if (mapped || nat64 || firstSixZero) {
    const why = forbiddenV4(embeddedV4(groups))
    return why === null ? null : `IPv4-embedded ${why}`
  }
  if ((g0 & 0xfe00) === 0xfc00) return 'unique local (private)'
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local'
  if ((g0 & 0xffc0) === 0xfec0) return 'site-local (deprecated private)'
  if ((g0 & 0xff00) === 0xff00) return 'multicast'
  return null
}

/** Why a webhook may not connect to this IP address (IPv4 or IPv6, zone allowed), or null when it may. */
export function forbiddenAddress(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  const family = isIP(bare)
  if (family === 4) return forbiddenV4(bare)
  if (family === 6) return forbiddenV6(bare.toLowerCase())
  return 'not an IP address'
}

/** A refusal by the guard: final for the event (retrying would reach the same place). */
export class ForbiddenAddressError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly why: string,
  ) {
    super(`${host} resolves to ${address} (${why}): webhooks may not reach internal addresses`)
    this.name = 'ForbiddenAddressError'
  }
}

export type Resolve = (hostname: string) => Promise<LookupAddress[]>

/** Every A and AAAA the system resolver gives (getaddrinfo, as connect would use). */
export const resolveAll: Resolve = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)))
  })

type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void

/**
 * A `lookup` for node:http(s).request: resolves every address of the name and refuses the connection when any one
 * is forbidden (an attacker controlling the name could otherwise list a public and an internal address and hope
 * the client picks the second). Literal IPs never reach a lookup: deliver.ts checks those itself.
 */
export function guardedLookup(resolve: Resolve = resolveAll) {
  return (hostname: string, options: { all?: boolean } | number | undefined, callback: LookupCallback) => {
    resolve(hostname).then(
      (addresses) => {
        for (const { address } of addresses) {
          const why = forbiddenAddress(address)
          if (why !== null) return callback(new ForbiddenAddressError(hostname, address, why), [])
        }
        const first = addresses[0]
        if (!first) return callback(new Error(`${hostname} has no address`), [])
        if (typeof options === 'object' && options?.all) return callback(null, addresses)
        return callback(null, first.address, first.family)
      },
      (err: Error) => callback(err, []),
    )
  }
}

/**
 * At registration: a literal internal IP, or a name whose addresses are all internal, is refused early and
 * clearly (the connect-time check still runs on every delivery). A name that does not resolve is refused too.
 */
export async function registrationProblem(
  hostname: string,
  resolve: Resolve = resolveAll,
  timeoutMs = 5_000,
): Promise<string | null> {
  const bare = hostname.replace(/^\[|\]$/g, '')
  if (isIP(bare)) {
    const why = forbiddenAddress(bare)
    return why === null ? null : `${bare} is a ${why} address: webhooks may not reach internal addresses`
  }
  let addresses: LookupAddress[]
  // getaddrinfo can take long on a dead DNS server: the request that waits for it gets a bound
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)
  })
  try {
    addresses = await Promise.race([resolve(bare), late])
  } catch {
    return `${bare} does not resolve`
  } finally {
    clearTimeout(timer)
  }
  const reasons = addresses.map(({ address }) => forbiddenAddress(address))
  if (reasons.length > 0 && reasons.every((why) => why !== null)) {
    return `${bare} resolves only to internal addresses (${addresses.map((a) => a.address).join(', ')}): webhooks may not reach them`
  }
  return null
}
