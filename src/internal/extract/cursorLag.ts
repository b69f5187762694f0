/** The lag of an incremental cursor: how far back a run starts from the stored last value. */
import { Either } from "effect"
import { show } from "./cursorValue.js"
import { DAY_NS, floorDiv, formatDate, formatDateTime, parseTemporal, type Temporal } from "./temporalText.js"

/**
 * Moves `value` back by `lag` in the order of `func` (so forward for `min`). `unit` is the shape of
 * `initial_value` when it is a date or date-time string (dlt declares the unit from it), else the
 * value's own. A lagged string keeps the value's format.
 */
export const applyLag = (
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
