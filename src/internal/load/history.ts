/**
 * A dataset's load history as `_rc_loads` records it: one row per committed resource load,
 * newest first. Datasets written by older versions lack some columns (see `loadsColumns`), so
 * each row is read whole as JSON and what it has is used.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { DestinationError } from "./destination.js"
import { qualified, SystemTables } from "./identifiers.js"
import { exists, query } from "./sqlSession.js"
import { tableExistsSql } from "./sqlText.js"

/** One committed resource load. */
export interface LoadRecord {
  readonly loadId: string
  readonly resource: string
  /** Rows written per table (the root table and its child tables). */
  readonly rowsPerTable: Readonly<Record<string, number>>
  /** All rows written, over every table. */
  readonly rows: number
  readonly startedAt: Date | undefined
  readonly finishedAt: Date | undefined
  readonly status: string
  /** Hash of the tables' schema the load used (`_rc_version`). */
  readonly schemaVersion: string | undefined
}

export interface LoadHistory {
  /** The newest loads, newest first (at most `limit`). */
  readonly loads: ReadonlyArray<LoadRecord>
  /** How many loads the dataset has recorded in all. */
  readonly total: number
}

export interface LoadHistoryOptions {
  /** At most this many loads (default: all). */
  readonly limit?: number | undefined
  /** Only these resources' loads (default: all). */
  readonly resources?: ReadonlyArray<string> | undefined
}

const loadsSql = (dataset: string, filtered: boolean, limited: boolean) =>
  `SELECT to_jsonb(l)::text AS rec FROM ${qualified(dataset, SystemTables.loads)} l
  ${filtered ? "WHERE l.resource = ANY (string_to_array($1, chr(31)))" : ""}
  ORDER BY (to_jsonb(l)->>'finished_at')::timestamptz DESC NULLS LAST, l.load_id DESC, l.resource
  ${limited ? `LIMIT $${filtered ? 2 : 1}` : ""}`

const countSql = (dataset: string, filtered: boolean) =>
  `SELECT count(*)::text AS n FROM ${qualified(dataset, SystemTables.loads)} l
  ${filtered ? "WHERE l.resource = ANY (string_to_array($1, chr(31)))" : ""}`

const field = (rec: object, key: string): unknown => Reflect.get(rec, key)

const text = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)

const date = (u: unknown): Date | undefined => {
  if (typeof u !== "string") return undefined
  const d = new Date(u)
  return Number.isNaN(d.getTime()) ? undefined : d
}

const counts = (u: unknown): Record<string, number> => {
  const out: Record<string, number> = {}
  if (typeof u !== "object" || u === null || Array.isArray(u)) return out
  for (const [table, n] of Object.entries(u)) if (typeof n === "number") out[table] = n
  return out
}

const toRecord = (json: string): LoadRecord => {
  const parsed: unknown = JSON.parse(json)
  const rec = typeof parsed === "object" && parsed !== null ? parsed : {}
  const rowsPerTable = counts(field(rec, "rows"))
  return {
    loadId: text(field(rec, "load_id")) ?? "",
    resource: text(field(rec, "resource")) ?? "",
    rowsPerTable,
    rows: Object.values(rowsPerTable).reduce((a, b) => a + b, 0),
    startedAt: date(field(rec, "started_at")),
    finishedAt: date(field(rec, "finished_at")),
    status: text(field(rec, "status")) ?? "",
    schemaVersion: text(field(rec, "schema_version"))
  }
}

/** The dataset's loads, newest first; none when it has no `_rc_loads` (nothing loaded yet). */
export const loadHistory = (
  sql: SqlClient.SqlClient,
  dataset: string,
  options: LoadHistoryOptions = {}
): Effect.Effect<LoadHistory, DestinationError> =>
  Effect.gen(function*() {
    const what = "reading the load history"
    const present = yield* exists(sql, tableExistsSql, qualified(dataset, SystemTables.loads), what, dataset)
    if (!present) return { loads: [], total: 0 }
    // Names as one parameter (unit separator between them): a text[] would need an array literal.
    const filter = options.resources === undefined ? [] : [options.resources.join("\u001f")]
    const limit = options.limit === undefined ? [] : [String(Math.max(0, Math.floor(options.limit)))]
    const rows = yield* query<{ readonly rec: string }>(
      sql,
      loadsSql(dataset, filter.length > 0, limit.length > 0),
      [...filter, ...limit],
      what,
      dataset
    )
    const total = yield* query<{ readonly n: string }>(sql, countSql(dataset, filter.length > 0), filter, what, dataset)
    return { loads: rows.map((r) => toRecord(r.rec)), total: Number(total[0]?.n ?? 0) }
  })

/** Each resource's newest load, by resource name. */
export const latestLoads = (
  sql: SqlClient.SqlClient,
  dataset: string
): Effect.Effect<ReadonlyMap<string, LoadRecord>, DestinationError> =>
  Effect.gen(function*() {
    const what = "reading the load history"
    const present = yield* exists(sql, tableExistsSql, qualified(dataset, SystemTables.loads), what, dataset)
    if (!present) return new Map()
    const rows = yield* query<{ readonly rec: string }>(
      sql,
      `SELECT DISTINCT ON (l.resource) to_jsonb(l)::text AS rec FROM ${qualified(dataset, SystemTables.loads)} l
      ORDER BY l.resource, (to_jsonb(l)->>'finished_at')::timestamptz DESC NULLS LAST, l.load_id DESC`,
      [],
      what,
      dataset
    )
    return new Map(rows.map((r) => toRecord(r.rec)).map((l) => [l.resource, l]))
  })
