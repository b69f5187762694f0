/**
 * Date and date-time text as cursors carry it: RFC 3339 date-times, `YYYY-MM-DD` and `YYYYMMDD`
 * dates, parsed to instants and formatted back in the shape they came in (for lag). Civil-day
 * arithmetic is done by hand (civilDate.ts): Date's year 0-99 quirk and its millisecond precision don't fit.
 */
import { civilFromDays, daysFromCivil, daysInMonth } from "../civilDate.js"

export const SECOND_NS = 1_000_000_000n
export const DAY_NS = 86_400n * SECOND_NS

export interface DateTimeText {
  readonly _tag: "DateTime"
  /** Nanoseconds since the epoch (UTC). */
  readonly ns: bigint
  // what formatting a lagged value needs to keep the original's shape
  readonly separator: string
  readonly fractionDigits: number
  readonly offsetText: string
  readonly offsetMinutes: number
}

export interface DateText {
  readonly _tag: "Date"
  /** Days since the epoch. */
  readonly days: number
  readonly compact: boolean
}

export type Temporal = DateTimeText | DateText

const DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})([Tt ])(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/
const COMPACT_DATE_RE = /^(\d{4})(\d{2})(\d{2})$/

const validDate = (y: number, m: number, d: number): boolean => m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m)

const parseOffset = (text: string): number | undefined => {
  if (text === "" || text === "Z" || text === "z") return 0
  const sign = text[0] === "-" ? -1 : 1
  const digits = text.slice(1).replace(":", "")
  const h = Number(digits.slice(0, 2))
  const m = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
  return h > 23 || m > 59 ? undefined : sign * (h * 60 + m)
}

export const parseTemporal = (s: string): Temporal | undefined => {
  const dt = DATE_TIME_RE.exec(s)
  if (dt !== null) {
    const [y, mo, d, h, mi, sec] = [dt[1], dt[2], dt[3], dt[5], dt[6], dt[7]].map(Number)
    if (!validDate(y, mo, d) || h > 23 || mi > 59 || sec > 60) return undefined
    const offsetText = dt[9] ?? ""
    const offsetMinutes = parseOffset(offsetText)
    if (offsetMinutes === undefined) return undefined
    const fraction = dt[8] ?? ""
    // finer than nanoseconds is cut off: no API we know sends it
    const fractionNs = BigInt((fraction + "000000000").slice(0, 9))
    const seconds = BigInt(daysFromCivil(y, mo, d)) * 86_400n + BigInt(h * 3600 + mi * 60 + sec) -
      BigInt(offsetMinutes * 60)
    return {
      _tag: "DateTime",
      ns: seconds * SECOND_NS + fractionNs,
      separator: dt[4],
      fractionDigits: fraction.length,
      offsetText,
      offsetMinutes
    }
  }
  const dashed = DATE_RE.exec(s)
  const date = dashed ?? COMPACT_DATE_RE.exec(s)
  if (date === null) return undefined
  const [y, m, d] = [date[1], date[2], date[3]].map(Number)
  return validDate(y, m, d) ? { _tag: "Date", days: daysFromCivil(y, m, d), compact: dashed === null } : undefined
}

export const instantOf = (t: Temporal): bigint => t._tag === "DateTime" ? t.ns : BigInt(t.days) * DAY_NS

export const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q
}

const pad = (n: number | bigint, width: number): string => String(n).padStart(width, "0")

export const formatDate = (days: number, compact: boolean): string => {
  const [y, m, d] = civilFromDays(days)
  return compact ? `${pad(y, 4)}${pad(m, 2)}${pad(d, 2)}` : `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`
}

/** Formats an instant in the shape (offset, separator, precision) of `like`. */
export const formatDateTime = (ns: bigint, like: DateTimeText): string => {
  const local = ns + BigInt(like.offsetMinutes * 60) * SECOND_NS
  const day = floorDiv(local, DAY_NS)
  const rest = local - day * DAY_NS
  const secs = rest / SECOND_NS
  const fraction = pad(rest % SECOND_NS, 9)
  // keep the original precision, more only when the lag needs it
  const digits = Math.max(like.fractionDigits, fraction.replace(/0+$/, "").length)
  const time = `${pad(secs / 3600n, 2)}:${pad((secs % 3600n) / 60n, 2)}:${pad(secs % 60n, 2)}`
  return `${formatDate(Number(day), false)}${like.separator}${time}${digits > 0 ? "." + fraction.slice(0, digits) : ""}${like.offsetText}`
}
