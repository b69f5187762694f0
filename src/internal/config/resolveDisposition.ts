/** `write_disposition`: append, replace or merge, dlt's merge strategies and the scd2 options. */
import { type ConfigIssue, issue } from "./configError.js"
import type { WriteDispositionConfig } from "./schema.js"
import type { MergeStrategy, Scd2Config, WriteDisposition } from "./spec.js"

const mergeStrategies: ReadonlyArray<MergeStrategy> = ["delete-insert", "upsert", "insert-only", "scd2"]
const timestampOf = (value: unknown, path: string, issues: Array<ConfigIssue>): string | undefined => {
  if (value === undefined || value === null) return undefined
  const date = value instanceof Date
    ? value
    : typeof value === "string"
    ? new Date(value)
    : typeof value === "number"
    ? new Date(value * 1000)
    : undefined
  if (date === undefined || Number.isNaN(date.getTime())) {
    issues.push(issue(path, `expected a timestamp (ISO 8601 text, epoch seconds or a Date), found ${JSON.stringify(value) ?? String(value)}`))
    return undefined
  }
  return date.toISOString()
}

/** dlt's scd2 keys of a write_disposition dictionary; undefined when none is given. */
const scd2Of = (value: Exclude<WriteDispositionConfig, string>, path: string, issues: Array<ConfigIssue>): Scd2Config | undefined => {
  const given = (["validity_column_names", "active_record_timestamp", "boundary_timestamp", "row_version_column_name"] as const)
    .filter((k) => value[k] !== undefined)
  if (given.length === 0) return undefined
  if (value.disposition !== "merge" || value.strategy !== "scd2") {
    for (const key of given) issues.push(issue(`${path}.${key}`, `'${key}' applies only to the scd2 merge strategy`))
    return undefined
  }
  const names = value.validity_column_names
  if (names !== undefined && (names.length !== 2 || names.some((n) => n.trim() === "") || names[0] === names[1])) {
    issues.push(issue(`${path}.validity_column_names`, "expected two different column names: [valid_from, valid_to]"))
  }
  return {
    validFrom: names?.[0],
    validTo: names?.[1],
    activeTo: timestampOf(value.active_record_timestamp, `${path}.active_record_timestamp`, issues),
    boundary: timestampOf(value.boundary_timestamp, `${path}.boundary_timestamp`, issues),
    rowVersionColumn: value.row_version_column_name
  }
}

export const dispositionOf = (
  value: WriteDispositionConfig | undefined,
  path: string,
  issues: Array<ConfigIssue>
): { readonly disposition: WriteDisposition; readonly strategy: MergeStrategy; readonly scd2?: Scd2Config | undefined } => {
  if (value === undefined) return { disposition: "append", strategy: "delete-insert" }
  if (typeof value === "string") return { disposition: value, strategy: "delete-insert" }
  const scd2 = scd2Of(value, path, issues)
  const strategy = value.strategy
  if (strategy === undefined) return { disposition: value.disposition, strategy: "delete-insert" }
  if (value.disposition !== "merge") {
    if (value.disposition === "replace" && ["truncate-and-insert", "insert-from-staging", "staging-optimized"].includes(strategy)) {
      // All three end in the same table contents; ours is always atomic.
      return { disposition: "replace", strategy: "delete-insert" }
    }
    issues.push(issue(`${path}.strategy`, `strategy '${strategy}' does not apply to '${value.disposition}'`))
    return { disposition: value.disposition, strategy: "delete-insert" }
  }
  const known = mergeStrategies.find((s) => s === strategy)
  if (known === undefined) {
    issues.push(issue(`${path}.strategy`, `expected one of ${mergeStrategies.join(", ")}, found '${strategy}'`))
    return { disposition: "merge", strategy: "delete-insert" }
  }
  return { disposition: "merge", strategy: known, scd2 }
}
