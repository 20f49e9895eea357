import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { readQuery } from '../src/http/fast-reads.ts'

// The short read path's query parser (fast-reads.ts) against the URLSearchParams the full app decodes with: where it
// answers, it must read what the app reads; where it refuses (null), the app decides.
const KEYS = ['guildId', 'limit', 'after']
const part = fc.constantFrom(
  'guildId',
  'limit',
  'after',
  'x',
  '',
  '1',
  '123456789012345678',
  '=',
  '&',
  '%41',
  '+',
  'a b',
)
const query = fc.array(part, { maxLength: 8 }).map((parts) => parts.join(''))

describe('readQuery', () => {
  test('reads what URLSearchParams reads, or refuses', () => {
    fc.assert(
      fc.property(query, (raw) => {
        const values = readQuery(raw, KEYS)
        if (values === null) return
        const params = new URLSearchParams(raw)
        expect([...params.keys()].every((key) => KEYS.includes(key))).toBe(true)
        expect(new Set(params.keys()).size).toBe([...params.keys()].length)
        expect(values).toEqual(KEYS.map((key) => params.get(key) ?? undefined))
      }),
      { numRuns: 2000 },
    )
  })

  test('refuses repeated, unknown, empty and encoded keys, and takes a key without a value as empty', () => {
    expect(readQuery('', KEYS)).toEqual([undefined, undefined, undefined])
    expect(readQuery('limit=5&guildId=1', KEYS)).toEqual(['1', '5', undefined])
    expect(readQuery('after', KEYS)).toEqual([undefined, undefined, ''])
    expect(readQuery('limit=1&limit=2', KEYS)).toBeNull()
    expect(readQuery('x=1', KEYS)).toBeNull()
    expect(readQuery('limit=1&', KEYS)).toBeNull()
    expect(readQuery('guildId=%31', KEYS)).toBeNull()
    expect(readQuery('guildId=1+2', KEYS)).toBeNull()
  })
})
