/**
 * The storage suites' `users` resource (a root table and its `users__tags` child), whole loads
 * through the Destination, and queries that read back what a load left in the database.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { Batch, StartLoadOptions } from "../../src/internal/load/destination.js"
import { Destination } from "../../src/internal/load/destination.js"
import { ident, stagingSchemaName } from "../../src/internal/load/identifiers.js"
import type { Row, TableSchema } from "../../src/internal/normalize/tableSchema.js"
import { childTable, col, rootTable } from "../support/tables.js"

export const batch = (...tables: ReadonlyArray<readonly [TableSchema, ReadonlyArray<Row>]>): Batch => ({
  tables: tables.map(([t]) => t),
  rows: new Map(tables.map(([t, rows]) => [t.name, rows]))
})

export const users = rootTable("users", [col("name", "text"), col("age", "bigint")])
export const usersTags = childTable("users__tags", "users", [col("value", "text")])

export const user = (loadId: string, seq: number, id: string, name: string, age: number): Row => ({
  _rc_id: id,
  _rc_load_id: loadId,
  _rc_seq: seq,
  name,
  age
})

export const tag = (seq: number, rootId: string, idx: number, value: string): Row => ({
  _rc_id: `${rootId}/${idx}/${seq}`,
  _rc_parent_id: rootId,
  _rc_list_idx: idx,
  _rc_root_id: rootId,
  _rc_seq: seq,
  value
})

export const options = (
  dataset: string,
  loadId: string,
  disposition: StartLoadOptions["disposition"],
  extra: Partial<StartLoadOptions> = {}
): StartLoadOptions => ({
  dataset,
  resource: "users",
  loadId,
  rootTable: "users",
  disposition,
  primaryKey: disposition === "merge" ? ["id"] : [],
  ...extra
})

/** One whole resource load: start, write every batch, commit. */
export const load = (opts: StartLoadOptions, batches: ReadonlyArray<Batch>, state?: unknown) =>
  Effect.scoped(Effect.gen(function*() {
    const destination = yield* Destination
    const resourceLoad = yield* destination.startLoad(opts)
    for (const b of batches) yield* resourceLoad.write(b)
    return yield* resourceLoad.commit({ startedAt: new Date("2024-01-01T00:00:00Z"), state })
  }))

/** Rows of a final table as text values (bigint/numeric arrive as strings anyway). */
export const select = (dataset: string, table: string, columns: ReadonlyArray<string>, orderBy: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<Record<string, string | null>>(
      `SELECT ${columns.map((c) => `${ident(c)}::text AS ${ident(c)}`).join(", ")} FROM ${
        ident(dataset)
      }.${ident(table)} ORDER BY ${orderBy}`
    ))

export const countRows = (dataset: string, table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(dataset)}.${ident(table)}`)
  ).pipe(Effect.map((rows) => rows[0]?.n ?? -1))

/** Staging tables left in `<dataset>_staging` (the registry itself excluded). */
export const stagingLeft = (dataset: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname <> '_rc_staging_tables'`,
      [stagingSchemaName(dataset)]
    )).pipe(Effect.map((rows) => rows.map((r) => r.relname)))

export const tableExists = (dataset: string, table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [
      `${ident(dataset)}.${ident(table)}`
    ])).pipe(Effect.map((rows) => rows[0]?.present === true))

/** Index definitions on a final table (`CREATE ... INDEX name ON ... (column)`), names left out. */
export const indexesOf = (dataset: string, table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ def: string }>(
      `SELECT regexp_replace(pg_get_indexdef(i.indexrelid), 'INDEX \\S+ ON \\S+', 'INDEX ON') AS def
       FROM pg_index i WHERE i.indrelid = to_regclass($1) ORDER BY 1`,
      [`${ident(dataset)}.${ident(table)}`]
    )).pipe(Effect.map((rows) => rows.map((r) => r.def)))


/** Columns of a table as stored: name, whether NOT NULL, and whether the table is LOGGED. */
export const storedShape = (dataset: string, table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ name: string; required: boolean; persistence: string }>(
      `SELECT a.attname AS name, a.attnotnull AS required, c.relpersistence AS persistence
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [`${ident(dataset)}.${ident(table)}`]
    ))
