/** Windows of an incremental run (ours, dlt#3223): `incremental.window` in the config. */
import { Either } from "effect"
import { present } from "./cursorValue.js"
import { IncrementalError } from "./incrementalModel.js"

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
