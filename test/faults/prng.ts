/**
 * Seeded randomness for the fault suite: every random choice (kill delays, fault kinds, config
 * mutations) comes from one seed, printed in the test names, so `FAULT_SEED=<seed> npm run
 * test:faults` replays the same choices (the timing of a kill against a running process can
 * still differ from one machine to the next).
 */

/** The seed: `FAULT_SEED` when set, else the clock. */
export const faultSeed = (): number => {
  const given = process.env["FAULT_SEED"]
  if (given !== undefined && given !== "") {
    const n = Number(given)
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`FAULT_SEED must be a non-negative integer, got '${given}'`)
    return n >>> 0
  }
  return Date.now() >>> 0
}

export interface Rng {
  /** A float in [0, 1). */
  readonly next: () => number
  /** An integer in [lo, hi]. */
  readonly int: (lo: number, hi: number) => number
  readonly pick: <A>(items: ReadonlyArray<A>) => A
  readonly chance: (p: number) => boolean
  /** A generator of its own, seeded from this one (so adding draws here does not shift it). */
  readonly fork: () => Rng
}

/** mulberry32: small, fast, good enough for test choices. */
export const makeRng = (seed: number): Rng => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1))
  return {
    next,
    int,
    pick: (items) => items[int(0, items.length - 1)],
    chance: (p) => next() < p,
    fork: () => makeRng(Math.floor(next() * 4294967296))
  }
}
