/**
 * A value's natural column type: the type its column gets when this value is the first one
 * (DESIGN §4). Numbers are bigint when integral and in Postgres range, else double; strings
 * are timestamptz when they are RFC 3339 date-times, else text. Runs for every value that has
 * no column yet or does not match its column, so the scans below are hand-written.
 */
import type { DataType } from "./tableSchema.js"
import { daysInMonth } from "../civilDate.js"

// ±2^63: Postgres bigint range.
const bigintLimit = 9223372036854775808
export const bigintMax = 9223372036854775807n
export const bigintMin = -9223372036854775808n

/** bigint for integers in Postgres bigint range, else double. */
export const numberType = (n: number): DataType => (Number.isInteger(n) && n < bigintLimit && n >= -bigintLimit ? "bigint" : "double")

/** A JS bigint: bigint when Postgres's bigint holds it, else numeric. */
export const bigintType = (n: bigint): DataType => (n <= bigintMax && n >= bigintMin ? "bigint" : "numeric")

/** timestamptz for RFC 3339 date-times with a zone, else text (date-only strings stay text). */
export const stringType = (s: string): DataType => (isTimestamp(s) ? "timestamptz" : "text")

/** Value of the two digits at `i`, or -1. */
const twoDigits = (s: string, i: number): number => {
  const a = s.charCodeAt(i) - 48
  const b = s.charCodeAt(i + 1) - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1
}

/** The digits of `YYYY?MM?DD` at the start of `s` name a real day (separators checked by the caller). */
const isCalendarDay = (s: string): boolean => {
  const century = twoDigits(s, 0)
  const yy = twoDigits(s, 2)
  const month = twoDigits(s, 5)
  const day = twoDigits(s, 8)
  if (century < 0 || yy < 0 || month < 1 || month > 12 || day < 1) return false
  const year = century * 100 + yy
  return year >= 1 && day <= daysInMonth(year, month)
}

/** `YYYY-MM-DD`, a real day. */
export const isDateText = (s: string): boolean =>
  s.length === 10 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && isCalendarDay(s)

/**
 * RFC 3339 date-time with a zone (`2024-05-01T10:00:00Z`, `2024-05-01 10:00:00.5+02:00`);
 * seconds may be omitted and the offset may be `+02`/`+0200` (Postgres and dlt accept them).
 * Date-only strings are not timestamps. Ranges are checked so Postgres never rejects a value
 * we typed timestamptz. A hand-written scan: this runs for every value of a timestamptz column.
 */
export const isTimestamp = (s: string): boolean => {
  const n = s.length
  if (n < 17 || n > 40 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58) return false
  const t = s.charCodeAt(10)
  if (t !== 84 && t !== 32 && t !== 116) return false
  if (!isCalendarDay(s)) return false
  const hour = twoDigits(s, 11)
  const minute = twoDigits(s, 14)
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return false
  let i = 16
  if (s.charCodeAt(i) === 58) {
    const second = twoDigits(s, i + 1)
    if (second < 0 || second > 59) return false
    i += 3
    if (s.charCodeAt(i) === 46) {
      const start = ++i
      while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++
      if (i === start || i - start > 9) return false
    }
  }
  const z = s.charCodeAt(i)
  if (z === 90 || z === 122) return i + 1 === n
  if (z !== 43 && z !== 45) return false
  const offsetHours = twoDigits(s, i + 1)
  if (offsetHours < 0 || offsetHours > 15) return false
  i += 3
  if (i === n) return true
  if (s.charCodeAt(i) === 58) i++
  const offsetMinutes = twoDigits(s, i)
  return offsetMinutes >= 0 && offsetMinutes <= 59 && i + 2 === n
}

// What kind of object a value is: decides whether it flattens, becomes a child table or is a scalar.

export const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

/** A JSON-style object (not a class instance, Date, Option...): flattened key by key. */
export const isPlainObject = (u: Record<string, unknown>): boolean => {
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

export const isIterable = (u: object): u is Iterable<unknown> => Symbol.iterator in u
