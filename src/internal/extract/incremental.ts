/**
 * The pure logic of dlt's incremental cursor (`dlt/extract/incremental`): the start value a run
 * requests from, the client-side filter of each page, and the state stored after a good load.
 * Request templating, the pipeline wiring and the storage of the state live elsewhere.
 *
 * Semantics follow dlt:
 * - `start_value` = the stored last value, else `initial_value`. With `lag` (and `max`/`min`) it
 *   moves back by the lag (seconds for date-times, days for dates, plain units for numbers), never
 *   past `initial_value`, while the stored last value only ever moves forward. With `end_value` the
 *   run is a stateless backfill: it starts at `initial_value`, ignores stored state, applies no lag
 *   and writes no state.
 * - Records whose cursor is outside `[start, end)` are dropped, even when the API ignored the
 *   request parameter. `range_start: "open"` also drops records equal to the start;
 *   `range_end: "closed"` keeps records equal to the end. With `range_start: "closed"`, records
 *   equal to the start that an earlier run already loaded (their hash is in `uniqueHashes`) are
 *   dropped.
 * - With `row_order`, a record past the end (`asc`) or at/before the start and dropped (`desc`)
 *   sets `stop`: the page is still filtered whole, but no further page needs fetching.
 * - Comparisons: numbers numerically; strings that are RFC 3339 date-times (or dates, `YYYY-MM-DD`
 *   or `YYYYMMDD`) as instants, so `2024-01-01T00:00:00Z` equals `2024-01-01T01:00:00+01:00`; any
 *   other strings lexicographically. A number against a string is an error.
 *
 * Where dlt was unclear or Python-specific, we chose:
 * - date-times without an offset compare as UTC (pendulum parses them so); a date compares as
 *   midnight UTC of that day;
 * - a custom `last_value_func` decides which value "wins" from `f([a, b])`; it gets no lag (dlt
 *   warns and ignores lag there too);
 * - `uniqueHashes` hold the hashes of the records at the new last value, plus the stored ones when
 *   the last value did not move (so a boundary record stays deduplicated run after run);
 * - a lag that cannot be applied (a cursor string that is not a date) or a start that cannot be
 *   compared is reported by the first `filter` call, since `start` itself cannot fail.
 *
 * @since 0.1.0
 */
import { Data, Either, Option, Predicate, Schema } from "effect"
import { createHash } from "node:crypto"
import * as DataSelector from "../syntax/dataSelector.js"

// ---------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface IncrementalOptions {
  /** JSONPath into each raw record (pre-normalization names). */
  readonly cursorPath: DataSelector.DataSelector
  readonly initialValue?: unknown
  readonly endValue?: unknown
  readonly lastValueFunc: "max" | "min" | ((values: ReadonlyArray<unknown>) => unknown)
  readonly rowOrder?: "asc" | "desc" | undefined
  /** Seconds for date-times, days for dates, plain units for numbers. */
  readonly lag?: number | undefined
  readonly onCursorValueMissing: "raise" | "include" | "exclude"
  /** Default closed (boundary deduplicated). */
  readonly rangeStart: "open" | "closed"
  /** Default open. */
  readonly rangeEnd: "open" | "closed"
  /** Raw field names used for boundary dedup; empty = hash of the whole record. */
  readonly primaryKey: ReadonlyArray<string>
}

/**
 * JSON-serializable, stored in `_rc_state` per resource (and per parent record for child resources).
 *
 * @since 0.1.0
 * @category models
 */
export interface IncrementalState {
  readonly initialValue: unknown
  /** The raw value the records carried. */
  readonly lastValue: unknown
  /** Records seen AT `lastValue` (boundary dedup). */
  readonly uniqueHashes: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category errors
 */
export class IncrementalError extends Data.TaggedError("IncrementalError")<{
  readonly message: string
  readonly recordIndex?: number | undefined
}> {}

/**
 * @since 0.1.0
 * @category models
 */
export interface IncrementalRun {
  /**
   * Values for `{incremental.start_value}`, `{incremental.initial_value}`, `{incremental.last_value}`,
   * `{incremental.end_value}`. Lag is already applied to `start_value`; `last_value` equals it, as
   * dlt's `last_value` is lag-adjusted while the requests are built.
   */
  readonly placeholders: {
    readonly start_value: unknown
    readonly initial_value: unknown
    readonly last_value: unknown
    readonly end_value: unknown
  }
  /** Filters one page of records (client-side, even if the API ignored the param); `stop` = out of range with row_order, so paging can end. */
  readonly filter: (
    records: ReadonlyArray<unknown>,
    firstIndex: number
  ) => Either.Either<{ readonly records: ReadonlyArray<unknown>; readonly stop: boolean }, IncrementalError>
  /** State to store after a successful load; undefined when end_value is set (a stateless backfill, as dlt). */
  readonly state: () => IncrementalState | undefined
}

// ---------------------------------------------------------------------------
// date and date-time strings
// ---------------------------------------------------------------------------

const SECOND_NS = 1_000_000_000n
const DAY_NS = 86_400n * SECOND_NS

interface DateTimeText {
  readonly _tag: "DateTime"
  /** Nanoseconds since the epoch (UTC). */
  readonly ns: bigint
  // what formatting a lagged value needs to keep the original's shape
  readonly separator: string
  readonly fractionDigits: number
  readonly offsetText: string
  readonly offsetMinutes: number
}

interface DateText {
  readonly _tag: "Date"
  /** Days since the epoch. */
  readonly days: number
  readonly compact: boolean
}

type Temporal = DateTimeText | DateText

const DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})([Tt ])(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/
const COMPACT_DATE_RE = /^(\d{4})(\d{2})(\d{2})$/

// days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; avoids Date's 0-99 year quirk)
const daysFromCivil = (y0: number, m: number, d: number): number => {
  const y = m <= 2 ? y0 - 1 : y0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

const civilFromDays = (z0: number): readonly [number, number, number] => {
  const z = z0 + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  return [m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d]
}

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
const daysInMonth = (y: number, m: number): number =>
  m === 2 ? (isLeap(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
const validDate = (y: number, m: number, d: number): boolean => m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m)

const parseOffset = (text: string): number | undefined => {
  if (text === "" || text === "Z" || text === "z") return 0
  const sign = text[0] === "-" ? -1 : 1
  const digits = text.slice(1).replace(":", "")
  const h = Number(digits.slice(0, 2))
  const m = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
  return h > 23 || m > 59 ? undefined : sign * (h * 60 + m)
}

const parseTemporal = (s: string): Temporal | undefined => {
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

const instantOf = (t: Temporal): bigint => t._tag === "DateTime" ? t.ns : BigInt(t.days) * DAY_NS

const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q
}

const pad = (n: number | bigint, width: number): string => String(n).padStart(width, "0")

const formatDate = (days: number, compact: boolean): string => {
  const [y, m, d] = civilFromDays(days)
  return compact ? `${pad(y, 4)}${pad(m, 2)}${pad(d, 2)}` : `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`
}

/** Formats an instant in the shape (offset, separator, precision) of `like`. */
const formatDateTime = (ns: bigint, like: DateTimeText): string => {
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

// ---------------------------------------------------------------------------
// cursor values and their order
// ---------------------------------------------------------------------------

/** A cursor value with its comparison key, computed once. */
interface Cursor {
  readonly raw: unknown
  readonly key:
    | { readonly _tag: "Number"; readonly n: number }
    | { readonly _tag: "Instant"; readonly ns: bigint; readonly s: string }
    | { readonly _tag: "Text"; readonly s: string }
    | { readonly _tag: "Other" }
}

const cursorOf = (raw: unknown): Cursor => {
  if (typeof raw === "number") return { raw, key: { _tag: "Number", n: raw } }
  if (typeof raw === "string") {
    const t = parseTemporal(raw)
    return { raw, key: t === undefined ? { _tag: "Text", s: raw } : { _tag: "Instant", ns: instantOf(t), s: raw } }
  }
  return { raw, key: { _tag: "Other" } }
}

const show = (u: unknown): string => {
  const json = JSON.stringify(u)
  return json === undefined ? String(u) : json
}
const typeName = (u: unknown): string => u === null ? "null" : Array.isArray(u) ? "array" : typeof u

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
const canonicalJson = (u: unknown): string => {
  if (Array.isArray(u)) return `[${u.map((v) => v === undefined ? "null" : canonicalJson(v)).join(",")}]`
  if (Predicate.isRecord(u)) {
    const keys = Object.keys(u).filter((k) => u[k] !== undefined).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(u[k])}`).join(",")}}`
  }
  const json = JSON.stringify(u)
  return json === undefined ? "null" : json
}

const same = (a: Cursor, b: Cursor): boolean =>
  Either.match(compareNatural(a, b), { onLeft: () => canonicalJson(a.raw) === canonicalJson(b.raw), onRight: (n) => n === 0 })

/**
 * The order of `last_value_func`: > 0 when `a` wins over `b` (is "later"), 0 when equal.
 */
type Direction = (a: Cursor, b: Cursor) => Either.Either<number, string>

const directionOf = (f: IncrementalOptions["lastValueFunc"]): Direction => {
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

// ---------------------------------------------------------------------------
// lag
// ---------------------------------------------------------------------------

/**
 * Moves `value` back by `lag` in the order of `func` (so forward for `min`). `unit` is the shape of
 * `initial_value` when it is a date or date-time string (dlt declares the unit from it), else the
 * value's own. A lagged string keeps the value's format.
 */
const applyLag = (
  lag: number,
  value: unknown,
  func: "max" | "min",
  unit: Temporal["_tag"] | undefined
): Either.Either<unknown, string> => {
  const signed = func === "max" ? -lag : lag
  if (typeof value === "number") {
    const lagged = value + signed
    // dlt keeps an int cursor an int
    return Either.right(Number.isInteger(value) ? Math.trunc(lagged) : lagged)
  }
  const t = typeof value === "string" ? parseTemporal(value) : undefined
  if (t === undefined) {
    return Either.left(`lag needs a number, date or date-time cursor, found ${show(value)}`)
  }
  const days = Math.floor(signed) // a date moves by whole days, as Python's date + timedelta
  const lagNs = BigInt(Math.round(signed * 1e9))
  const inDays = (unit ?? t._tag) === "Date"
  if (t._tag === "Date") {
    return Either.right(
      inDays
        ? formatDate(t.days + days, t.compact)
        : formatDate(Number(floorDiv(BigInt(t.days) * DAY_NS + lagNs, DAY_NS)), t.compact)
    )
  }
  if (!inDays) return Either.right(formatDateTime(t.ns + lagNs, t))
  // a date-time lagged by days: whole UTC days, start of day for max, end of day for min (as dlt)
  const day = floorDiv(t.ns, DAY_NS) + BigInt(days)
  return Either.right(formatDateTime(func === "max" ? day * DAY_NS : (day + 1n) * DAY_NS - 1000n, t))
}

// ---------------------------------------------------------------------------
// hashing
// ---------------------------------------------------------------------------

const digest = (s: string): string => createHash("sha256").update(s).digest("base64url").slice(0, 22)

const hashRecord = (record: unknown, primaryKey: ReadonlyArray<string>): Either.Either<string, string> => {
  if (primaryKey.length === 0) return Either.right(digest(canonicalJson(record)))
  if (!Predicate.isRecord(record)) {
    return Either.left(`primary key ${show(primaryKey)} cannot be read from a ${typeName(record)} record`)
  }
  const values: Array<unknown> = []
  for (const k of primaryKey) {
    if (!Object.hasOwn(record, k)) return Either.left(`primary key field ${JSON.stringify(k)} is missing`)
    values.push(record[k])
  }
  return Either.right(digest(canonicalJson(primaryKey.length === 1 ? values[0] : values)))
}

// ---------------------------------------------------------------------------
// run
// ---------------------------------------------------------------------------

// dlt treats None as "no value"; JSON null is our None
const present = (u: unknown): boolean => u !== undefined && u !== null

type Found = { readonly _tag: "Value"; readonly value: unknown } | { readonly _tag: "Missing" | "Null" }

const findCursor = (selector: DataSelector.DataSelector, record: unknown): Found => {
  const v = DataSelector.readPath(selector, record)
  if (selector.hasWildcard && Array.isArray(v)) {
    // dlt takes the first match and ignores the others
    if (v.length === 0) return { _tag: "Missing" }
    if (v.some((x) => x === null)) return { _tag: "Null" }
    return { _tag: "Value", value: v[0] }
  }
  return v === undefined ? { _tag: "Missing" } : v === null ? { _tag: "Null" } : { _tag: "Value", value: v }
}

/**
 * Starts one run of the cursor: mutable inside, so make one per run (and per parent record for
 * child resources).
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (options: IncrementalOptions, stored: IncrementalState | undefined): IncrementalRun => {
  const path = options.cursorPath.source
  const direction = directionOf(options.lastValueFunc)
  const initial = present(options.initialValue) ? options.initialValue : undefined
  const end = present(options.endValue) ? options.endValue : undefined
  const stateless = end !== undefined
  const storedLast = !stateless && stored !== undefined && present(stored.lastValue) ? stored.lastValue : undefined
  const storedHashes: ReadonlySet<string> = new Set(stateless ? [] : stored?.uniqueHashes ?? [])
  const dedup = options.rangeStart === "closed"

  // an error found while setting up; reported by the first filter call
  let setupError: IncrementalError | undefined
  const fail = (message: string, recordIndex?: number) =>
    new IncrementalError({ message: `Incremental cursor ${JSON.stringify(path)}: ${message}`, recordIndex })

  let startValue = storedLast ?? initial
  const func = options.lastValueFunc
  if (
    !stateless && startValue !== undefined && options.lag !== undefined && options.lag !== 0 &&
    (func === "max" || func === "min")
  ) {
    const unit = typeof initial === "string" ? parseTemporal(initial)?._tag : undefined
    const lagged = applyLag(options.lag, startValue, func, unit)
    if (Either.isLeft(lagged)) {
      setupError = fail(lagged.left)
    } else if (initial === undefined) {
      startValue = lagged.right
    } else {
      // lag never reaches back past initial_value
      const cmp = direction(cursorOf(initial), cursorOf(lagged.right))
      if (Either.isLeft(cmp)) setupError = fail(cmp.left)
      else startValue = cmp.right >= 0 ? initial : lagged.right
    }
  }

  const startCursor = startValue === undefined ? undefined : cursorOf(startValue)
  const endCursor = end === undefined ? undefined : cursorOf(end)
  const storedCursor = storedLast === undefined ? undefined : cursorOf(storedLast)
  // the last value of this run (starts at the start value, as dlt's transformer) and the hashes at it
  let last = startCursor
  let lastHashes = new Set<string>()

  const filter: IncrementalRun["filter"] = (records, firstIndex) => {
    if (setupError !== undefined) return Either.left(setupError)
    const kept: Array<unknown> = []
    let stop = false
    for (let i = 0; i < records.length; i++) {
      const record = records[i]
      const index = firstIndex + i
      const found = findCursor(options.cursorPath, record)
      if (found._tag !== "Value") {
        if (options.onCursorValueMissing === "include") kept.push(record)
        if (options.onCursorValueMissing !== "raise") continue
        return Either.left(fail(
          found._tag === "Missing"
            ? `the cursor path is missing in record ${index} (set on_cursor_value_missing to "include" or "exclude" to accept it)`
            : `the cursor value is null in record ${index} (set on_cursor_value_missing to "include" or "exclude" to accept it)`,
          index
        ))
      }
      const cursor = cursorOf(found.value)
      if (endCursor !== undefined) {
        const cmp = direction(cursor, endCursor)
        if (Either.isLeft(cmp)) return Either.left(fail(`${cmp.left} (record ${index} against end_value)`, index))
        if (cmp.right > 0 || (cmp.right === 0 && options.rangeEnd === "open")) {
          if (options.rowOrder === "asc") stop = true
          continue
        }
      }
      let hash: string | undefined
      const hashOf = (): Either.Either<string, IncrementalError> => {
        if (hash !== undefined) return Either.right(hash)
        return Either.mapBoth(hashRecord(record, options.primaryKey), {
          onLeft: (m) => fail(`${m} in record ${index}`, index),
          onRight: (h) => (hash = h)
        })
      }
      if (startCursor !== undefined) {
        const cmp = direction(cursor, startCursor)
        if (Either.isLeft(cmp)) return Either.left(fail(`${cmp.left} (record ${index} against the start value)`, index))
        let drop = cmp.right < 0
        if (cmp.right === 0) {
          if (!dedup) {
            drop = true
          } else if (storedHashes.size > 0) {
            const h = hashOf()
            if (Either.isLeft(h)) return Either.left(h.left)
            drop = storedHashes.has(h.right)
          }
        }
        if (drop) {
          if (options.rowOrder === "desc") stop = true
          continue
        }
      }
      kept.push(record)
      const cmp = last === undefined ? Either.right(1) : direction(cursor, last)
      if (Either.isLeft(cmp)) return Either.left(fail(`${cmp.left} (record ${index} against the last value)`, index))
      if (cmp.right >= 0) {
        if (cmp.right > 0) {
          last = cursor
          lastHashes = new Set()
        }
        if (dedup) {
          const h = hashOf()
          if (Either.isLeft(h)) return Either.left(h.left)
          lastHashes.add(h.right)
        }
      }
    }
    return Either.right({ records: kept, stop })
  }

  const state = (): IncrementalState | undefined => {
    if (stateless) return undefined
    let final = last
    // with lag the run may end below the stored value: state only moves forward
    if (storedCursor !== undefined && final !== undefined) {
      const cmp = direction(storedCursor, final)
      if (Either.isRight(cmp) && cmp.right > 0) final = storedCursor
    }
    const hashes = new Set<string>()
    if (dedup && final !== undefined) {
      if (last !== undefined && same(final, last)) lastHashes.forEach((h) => hashes.add(h))
      // nothing newer arrived: the records loaded earlier at this value stay deduplicated
      if (storedCursor !== undefined && same(final, storedCursor)) storedHashes.forEach((h) => hashes.add(h))
    }
    return {
      initialValue: present(stored?.initialValue) ? stored?.initialValue : initial,
      lastValue: final?.raw,
      uniqueHashes: Array.from(hashes)
    }
  }

  return {
    placeholders: { start_value: startValue, initial_value: initial, last_value: startValue, end_value: end },
    filter,
    state
  }
}

// ---------------------------------------------------------------------------
// stored state
// ---------------------------------------------------------------------------

const StoredState = Schema.Struct({
  initialValue: Schema.optional(Schema.Unknown),
  lastValue: Schema.optional(Schema.Unknown),
  uniqueHashes: Schema.Array(Schema.String)
})

const decodeStoredState = Schema.decodeUnknownOption(StoredState)

/**
 * Validates a stored state; `undefined` for anything that is not one (the run then starts from
 * `initial_value`, as on a first run).
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseState = (u: unknown): IncrementalState | undefined =>
  Option.match(decodeStoredState(u), {
    onNone: () => undefined,
    onSome: (s): IncrementalState => ({
      initialValue: present(s.initialValue) ? s.initialValue : undefined,
      lastValue: present(s.lastValue) ? s.lastValue : undefined,
      uniqueHashes: s.uniqueHashes
    })
  })

// ---------------------------------------------------------------------------
// windows (ours, dlt#3223)
// ---------------------------------------------------------------------------

/** A window of date-times (a duration) or of numbers: `incremental.window` in the config. */
export type Window =
  | { readonly _tag: "Duration"; readonly millis: number }
  | { readonly _tag: "Number"; readonly size: number }

/** More windows than this is a mistake (a window of seconds over years), not a plan. */
const maxWindows = 100_000

const instant = (u: unknown): number | undefined => {
  const t = u instanceof Date ? u.getTime() : typeof u === "string" ? Date.parse(u) : Number.NaN
  return Number.isNaN(t) ? undefined : t
}

/**
 * The windows `[start, end)` a windowed run requests, in order: from the run's start value (lag
 * applied) to its end value, or to `nowMillis` for date-times without one. Values keep their
 * form: Dates stay Dates, text becomes ISO text, numbers stay numbers. Empty when the start is
 * already at the end.
 *
 * @since 0.1.0
 * @category windows
 */
export const windows = (
  startValue: unknown,
  endValue: unknown,
  window: Window,
  nowMillis: number
): Either.Either<ReadonlyArray<readonly [unknown, unknown]>, IncrementalError> => {
  const fail = (message: string) => Either.left(new IncrementalError({ message: `incremental window: ${message}` }))
  const out: Array<readonly [unknown, unknown]> = []
  if (window._tag === "Number") {
    if (typeof startValue !== "number") return fail(`a numeric window needs a numeric start value, found ${JSON.stringify(startValue)}`)
    if (typeof endValue !== "number") return fail("a numeric window needs a numeric end_value")
    for (let from = startValue; from < endValue; from += window.size) {
      if (out.length >= maxWindows) return fail(`more than ${maxWindows} windows`)
      out.push([from, Math.min(from + window.size, endValue)])
    }
    return Either.right(out)
  }
  const from0 = instant(startValue)
  if (from0 === undefined) return fail(`a duration window needs a date-time start value, found ${JSON.stringify(startValue)}`)
  const end = present(endValue) ? instant(endValue) : nowMillis
  if (end === undefined) return fail(`end_value ${JSON.stringify(endValue)} is not a date-time`)
  const form = (t: number): unknown => (startValue instanceof Date ? new Date(t) : new Date(t).toISOString())
  for (let from = from0; from < end; from += window.millis) {
    if (out.length >= maxWindows) return fail(`more than ${maxWindows} windows`)
    out.push([form(from), form(Math.min(from + window.millis, end))])
  }
  return Either.right(out)
}
