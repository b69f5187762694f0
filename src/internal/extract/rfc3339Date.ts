/**
 * `new Date(text)` for the one shape APIs send nearly every timestamp in,
 * `YYYY-MM-DDTHH:MM:SS[.sss](Z|±HH:MM)`, read by hand: V8's date parser took a quarter of a
 * microsecond per timestamp, and a sync decodes millions (Schema.DateFromString is
 * `new Date(text)`). Anything else, or any field out of its range, goes to `new Date(text)`
 * itself, so the result is always the same Date. (temporalText.ts parses cursor values exactly,
 * to nanoseconds with BigInt, keeping their shape for lag: a different job, at a different cost.)
 */
import { daysFromCivil, daysInMonth } from "../civilDate.js"

const digit = (text: string, i: number): number => {
  const c = text.charCodeAt(i) - 48
  return c >= 0 && c <= 9 ? c : Number.NaN
}
const two = (text: string, i: number): number => digit(text, i) * 10 + digit(text, i + 1)

/** The epoch milliseconds of `text` in the shape above, or NaN when it is not exactly that shape. */
const millisOf = (text: string): number => {
  const n = text.length
  if (n !== 20 && n !== 24 && n !== 25 && n !== 29) return Number.NaN
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84) return Number.NaN
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return Number.NaN
  const year = two(text, 0) * 100 + two(text, 2)
  const month = two(text, 5)
  const day = two(text, 8)
  const hour = two(text, 11)
  const minute = two(text, 14)
  const second = two(text, 17)
  let at = 19
  let millis = 0
  if (text.charCodeAt(at) === 46) {
    millis = digit(text, 20) * 100 + two(text, 21)
    at = 23
  }
  let offsetMinutes = 0
  const zone = text.charCodeAt(at)
  if (zone === 90 && n === at + 1) {
    offsetMinutes = 0
  } else if ((zone === 43 || zone === 45) && n === at + 6 && text.charCodeAt(at + 3) === 58) {
    const hours = two(text, at + 1)
    const minutes = two(text, at + 4)
    if (!(hours <= 23 && minutes <= 59)) return Number.NaN
    offsetMinutes = (zone === 45 ? -1 : 1) * (hours * 60 + minutes)
  } else {
    return Number.NaN
  }
  // NaN (a non-digit) fails every comparison below.
  if (!(month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59 && millis >= 0 && year >= 0)) return Number.NaN
  if (day > daysInMonth(year, month)) return Number.NaN
  return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + millis
}

/** The same Date as `new Date(text)`. */
export const dateOf = (text: string): Date => {
  const millis = millisOf(text)
  return Number.isNaN(millis) ? new Date(text) : new Date(millis)
}
