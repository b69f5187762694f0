/**
 * Cursor values and their order: numbers numerically, date and date-time text as instants, other
 * text lexicographically; `last_value_func` decides which of two values wins.
 */
import { Either, Predicate } from "effect"
import type { IncrementalOptions } from "./incrementalModel.js"
import { instantOf, parseTemporal } from "./temporalText.js"

// dlt treats None as "no value"; JSON null is our None
export const present = (u: unknown): boolean => u !== undefined && u !== null

/** A cursor value with its comparison key, computed once. */
export interface Cursor {
  readonly raw: unknown
  readonly key:
    | { readonly _tag: "Number"; readonly n: number }
    | { readonly _tag: "Instant"; readonly ns: bigint; readonly s: string }
    | { readonly _tag: "Text"; readonly s: string }
    | { readonly _tag: "Other" }
}

export const cursorOf = (raw: unknown): Cursor => {
  if (typeof raw === "number") return { raw, key: { _tag: "Number", n: raw } }
  if (typeof raw === "string") {
    const t = parseTemporal(raw)
    return { raw, key: t === undefined ? { _tag: "Text", s: raw } : { _tag: "Instant", ns: instantOf(t), s: raw } }
  }
  return { raw, key: { _tag: "Other" } }
}

export const show = (u: unknown): string => {
  const json = JSON.stringify(u)
  return json === undefined ? String(u) : json
}
export const typeName = (u: unknown): string => u === null ? "null" : Array.isArray(u) ? "array" : typeof u

const sign = (a: number | bigint | string, b: number | bigint | string): number => a < b ? -1 : a > b ? 1 : 0

/** Natural order of two cursor values; Left(message) when they cannot be compared. */
const compareNatural = (a: Cursor, b: Cursor): Either.Either<number, string> => {
  const ka = a.key
  const kb = b.key
  if (ka._tag === "Number" && kb._tag === "Number") return Either.right(sign(ka.n, kb.n))
  if (ka._tag === "Instant" && kb._tag === "Instant") return Either.right(sign(ka.ns, kb.ns))
  if ((ka._tag === "Instant" || ka._tag === "Text") && (kb._tag === "Instant" || kb._tag === "Text")) {
    return Either.right(sign(ka.s, kb.s))
  }
  return Either.left(
    `cannot compare cursor values ${show(a.raw)} (${typeName(a.raw)}) and ${show(b.raw)} (${typeName(b.raw)})`
  )
}

// sorted keys, so equal records hash equally whatever their key order
export const canonicalJson = (u: unknown): string => {
  if (Array.isArray(u)) return `[${u.map((v) => v === undefined ? "null" : canonicalJson(v)).join(",")}]`
  if (Predicate.isRecord(u)) {
    const keys = Object.keys(u).filter((k) => u[k] !== undefined).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(u[k])}`).join(",")}}`
  }
  const json = JSON.stringify(u)
  return json === undefined ? "null" : json
}

export const same = (a: Cursor, b: Cursor): boolean =>
  Either.match(compareNatural(a, b), { onLeft: () => canonicalJson(a.raw) === canonicalJson(b.raw), onRight: (n) => n === 0 })

/**
 * The order of `last_value_func`: > 0 when `a` wins over `b` (is "later"), 0 when equal.
 */
export type Direction = (a: Cursor, b: Cursor) => Either.Either<number, string>

export const directionOf = (f: IncrementalOptions["lastValueFunc"]): Direction => {
  if (f === "max") return compareNatural
  if (f === "min") return (a, b) => Either.map(compareNatural(a, b), (n) => -n)
  return (a, b) => {
    if (same(a, b)) return Either.right(0)
    try {
      return Either.right(same(cursorOf(f([a.raw, b.raw])), a) ? 1 : -1)
    } catch (e) {
      return Either.left(`last_value_func failed on ${show(a.raw)} and ${show(b.raw)}: ${String(e)}`)
    }
  }
}
