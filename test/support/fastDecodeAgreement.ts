/**
 * The FastDecode tests' yardstick: the fast path must agree with Effect's own decoder, value and
 * shape, or miss exactly when Effect fails.
 */
import { expect } from "@effect/vitest"
import { Either, Schema } from "effect"
import { compile, Miss } from "../../src/internal/extract/fastDecode.js"

export const effectDecoder = (s: Schema.Schema.AnyNoContext) => Schema.decodeUnknownEither(s, { onExcessProperty: "ignore" })

/**
 * A description of a value that keeps what `toStrictEqual` does not look at: key order (at every
 * level), `undefined`-valued keys, the class of objects, invalid vs valid dates.
 */
export const shape = (u: unknown): unknown => {
  if (u instanceof Date) return `Date(${Number.isNaN(u.getTime()) ? "invalid" : u.toISOString()})`
  if (Array.isArray(u)) return ["array", u.length, ...u.map(shape)]
  if (typeof u === "object" && u !== null) {
    return [`object:${u.constructor?.name ?? "null-prototype"}`, ...Object.entries(u).map(([k, v]) => [k, shape(v)])]
  }
  if (typeof u === "number" && Number.isNaN(u)) return "NaN"
  if (typeof u === "bigint") return `${u}n`
  if (typeof u === "symbol") return String(u)
  if (u === undefined) return "undefined"
  return u
}

export type Outcome = "ok" | "miss"

const show = (u: unknown): string => {
  try {
    return JSON.stringify(u) ?? String(u)
  } catch {
    return Object.prototype.toString.call(u)
  }
}

/** Asserts that the fast path agrees with Effect on `input`: same value (and shape), or Miss iff Effect fails. */
export const agree = (s: Schema.Schema.AnyNoContext, input: unknown, fast = compile(s)): Outcome => {
  expect(fast).toBeDefined()
  const actual = fast!(input)
  const expected = effectDecoder(s)(input)
  if (Either.isLeft(expected)) {
    expect(actual, `Effect fails, the fast path must miss on ${show(input)}`).toBe(Miss)
    return "miss"
  }
  expect(actual, `Effect succeeds, the fast path must not miss on ${show(input)}`).not.toBe(Miss)
  expect(actual).toStrictEqual(expected.right)
  expect(shape(actual)).toStrictEqual(shape(expected.right))
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected.right))
  return "ok"
}

export const expectOk = (s: Schema.Schema.AnyNoContext, input: unknown) => expect(agree(s, input)).toBe("ok")
export const expectMiss = (s: Schema.Schema.AnyNoContext, input: unknown) => expect(agree(s, input)).toBe("miss")

export const json = <A>(a: A): unknown => JSON.parse(JSON.stringify(a))

/** mulberry32 */
export const rng = (seed: number) => {
  let a = seed >>> 0
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
