/**
 * The merge suites' `items` resource (a root table with keys, partitions, versions and delete
 * flags, and its `items__tags` child), whole loads through the Destination, and queries that
 * read the rows back. Row ids are given by the tests (the normalizer's hashing is tested
 * elsewhere): for key-based strategies `_rc_id` stands for the primary key, for scd2 for the
 * row content.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { Batch, MergeOptions, MergeStrategy, StartLoadOptions } from "../../src/internal/load/destination.js"
import { Destination } from "../../src/internal/load/destination.js"
import { ident } from "../../src/internal/load/identifiers.js"
import type { Cell, Row, TableSchema } from "../../src/internal/normalize/tableSchema.js"
import { childTable, col, rootTable } from "../support/tables.js"

export const items: TableSchema = rootTable("items", [
  col("key", "bigint"),
  col("region", "text"),
  col("day", "bigint"),
  col("name", "text"),
  col("version", "bigint"),
  col("deleted", "boolean"),
  col("deleted_at", "text")
])

export const tags: TableSchema = childTable("items__tags", "items", [col("value", "text")])

export const item = (seq: number, id: string, fields: Readonly<Record<string, Cell>>): Row => ({
  _rc_id: id,
  _rc_load_id: "load",
  _rc_seq: seq,
  ...fields
})

/** Child ids are deterministic (root id + index), as the normalizer makes them. */
export const tag = (seq: number, rootId: string, idx: number, value: string): Row => ({
  _rc_id: `${rootId}/${idx}`,
  _rc_parent_id: rootId,
  _rc_list_idx: idx,
  _rc_root_id: rootId,
  _rc_seq: seq,
  value
})

export const batch = (rows: ReadonlyArray<Row>, tagRows: ReadonlyArray<Row> = []): Batch => ({
  tables: [items, tags],
  rows: new Map([["items", rows], ["items__tags", tagRows]])
})

export const mergeOptions = (
  dataset: string,
  strategy: MergeStrategy,
  merge: Partial<MergeOptions> = {},
  extra: Partial<StartLoadOptions> = {}
): StartLoadOptions => ({
  dataset,
  resource: "items",
  loadId: "load",
  rootTable: "items",
  disposition: "merge",
  primaryKey: ["key"],
  merge: { strategy, mergeKey: [], ...merge },
  ...extra
})

export const load = (opts: StartLoadOptions, batches: ReadonlyArray<Batch>, startedAt = "2024-01-01T00:00:00Z") =>
  Effect.scoped(Effect.gen(function*() {
    const destination = yield* Destination
    const resourceLoad = yield* destination.startLoad(opts)
    for (const b of batches) yield* resourceLoad.write(b)
    return yield* resourceLoad.commit({ startedAt: new Date(startedAt) })
  }))

export const query = (text: string, params: ReadonlyArray<string> = []) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<Record<string, string | null>>(text, params))

export const table = (dataset: string, name: string) => `${ident(dataset)}.${ident(name)}`

/** Root rows as `id:name` (text), ordered by id. */
export const roots = (dataset: string) =>
  query(`SELECT _rc_id || ':' || coalesce(name, '-') AS r FROM ${table(dataset, "items")} ORDER BY 1`).pipe(
    Effect.map((rows) => rows.map((r) => r["r"]))
  )

/** Child rows as `root_id:value`, ordered. */
export const children = (dataset: string) =>
  query(`SELECT _rc_root_id || ':' || value AS r FROM ${table(dataset, "items__tags")} ORDER BY 1`).pipe(
    Effect.map((rows) => rows.map((r) => r["r"]))
  )

/** scd2 versions as `id name from..to` with UTC dates ("-" = active). */
export const versions = (dataset: string) =>
  query(
    `SELECT _rc_id || ' ' || name || ' ' || to_char(_rc_valid_from AT TIME ZONE 'UTC', 'MM-DD') || '..' ||
       coalesce(to_char(_rc_valid_to AT TIME ZONE 'UTC', 'MM-DD'), '-') AS r
     FROM ${table(dataset, "items")} ORDER BY _rc_valid_from, _rc_id`
  ).pipe(Effect.map((rows) => rows.map((r) => r["r"])))
