/** `incremental`: the cursor, its start/end values, how it is compared, and our windows. */
import { Duration, Option } from "effect"
import { type ConfigIssue, issue } from "./configError.js"
import { parsePath } from "./resolvePaginator.js"
import { call1 } from "./resolveSupport.js"
import type { EndpointConfig } from "./schema.js"
import type { IncrementalSpec, IncrementalWindow } from "./spec.js"

export type ResourceIncremental = NonNullable<EndpointConfig["incremental"]>

export const resolveIncremental = (
  inc: ResourceIncremental,
  path: string,
  primaryKey: ReadonlyArray<string>,
  issues: Array<ConfigIssue>
): IncrementalSpec | undefined => {
  const cursorPath = parsePath(inc.cursor_path, `${path}.cursor_path`, issues)
  if (inc.end_value !== undefined && inc.initial_value === undefined) {
    issues.push(issue(`${path}.end_value`, "end_value needs an initial_value"))
  }
  let lastValueFunc: IncrementalSpec["lastValueFunc"] = "max"
  if (typeof inc.last_value_func === "string") {
    if (inc.last_value_func === "max" || inc.last_value_func === "min") lastValueFunc = inc.last_value_func
    else issues.push(issue(`${path}.last_value_func`, `expected "max", "min" or a function, found ${JSON.stringify(inc.last_value_func)}`))
  } else if (inc.last_value_func !== undefined) {
    const f = inc.last_value_func
    lastValueFunc = (values) => Reflect.apply(f, undefined, [values])
  }
  const convert = inc.convert
  const incrementalKey = Array.isArray(inc.primary_key)
    ? inc.primary_key.filter((k): k is string => typeof k === "string")
    : typeof inc.primary_key === "string"
    ? [inc.primary_key]
    : primaryKey
  if (cursorPath === undefined) return undefined
  return {
    cursorPath,
    initialValue: inc.initial_value,
    endValue: inc.end_value,
    lastValueFunc,
    rowOrder: inc.row_order,
    lag: inc.lag,
    onCursorValueMissing: inc.on_cursor_value_missing ?? "raise",
    rangeStart: inc.range_start ?? "closed",
    rangeEnd: inc.range_end ?? "open",
    primaryKey: incrementalKey,
    convert: convert === undefined ? undefined : call1(convert),
    window: resolveWindow(inc.window, `${path}.window`, issues)
  }
}

const resolveWindow = (
  window: number | string | undefined,
  path: string,
  issues: Array<ConfigIssue>
): IncrementalWindow | undefined => {
  if (window === undefined) return undefined
  if (typeof window === "number") {
    if (window > 0 && Number.isFinite(window)) return { _tag: "Number", size: window }
    issues.push(issue(path, `a window must be positive, found ${window}`))
    return undefined
  }
  const duration = Option.getOrUndefined(Duration.decodeUnknown(window))
  const millis = duration === undefined ? Number.NaN : Duration.toMillis(duration)
  if (millis > 0 && Number.isFinite(millis)) return { _tag: "Duration", millis }
  issues.push(issue(path, `expected a duration such as "7 days" or "12 hours", or a number for numeric cursors; found ${JSON.stringify(window)}`))
  return undefined
}
