/** A seeded PRNG (mulberry32): the whole world must be the same for the same seed, run after run. */
export interface Rng {
  next(): number // [0, 1)
  int(maxExclusive: number): number
  pick<T>(items: readonly T[]): T
  hex(length: number): string
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive)
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      const item = items[int(items.length)]
      if (item === undefined) throw new Error('pick from an empty list')
      return item
    },
    hex: (length: number) => Array.from({ length }, () => int(16).toString(16)).join(''),
  }
}
