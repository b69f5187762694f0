/**
 * Reading what a load stored, for assertions: a table's rows (system columns left out unless
 * asked for, in a stable order) and the tables of a dataset with their row counts.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"

const ident = (name: string): string => `"${name.replaceAll("\"", "\"\"")}"`

export interface RowsOptions {
  /** Keep the `_rc_*` system columns (default false). */
  readonly systemColumns?: boolean | undefined
  /** Columns to order by (default: every column, left to right). */
  readonly orderBy?: ReadonlyArray<string> | undefined
}

/** A table's rows as plain objects, ordered; without `_rc_*` columns unless asked for. */
export const rows = (
  dataset: string,
  table: string,
  options: RowsOptions = {}
): Effect.Effect<ReadonlyArray<Readonly<Record<string, unknown>>>, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const columns = yield* sql<{ readonly name: string }>`
      SELECT column_name AS name FROM information_schema.columns
      WHERE table_schema = ${dataset} AND table_name = ${table} ORDER BY ordinal_position`
    const kept = columns.map((c) => c.name).filter((name) => options.systemColumns === true || !name.startsWith("_rc_"))
    if (kept.length === 0) return []
    const order = (options.orderBy ?? kept).map(ident).join(", ")
    return yield* sql.unsafe<Readonly<Record<string, unknown>>>(
      `SELECT ${kept.map(ident).join(", ")} FROM ${ident(dataset)}.${ident(table)} ORDER BY ${order}`
    )
  })

/** The tables of a dataset (system tables included) and how many rows each holds. */
export const tables = (
  dataset: string
): Effect.Effect<Readonly<Record<string, number>>, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const names = yield* sql<{ readonly name: string }>`
      SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ${dataset} ORDER BY table_name`
    const counts: Record<string, number> = {}
    for (const { name } of names) {
      const [row] = yield* sql.unsafe<{ readonly n: string | number }>(`SELECT count(*) AS n FROM ${ident(dataset)}.${ident(name)}`)
      counts[name] = Number(row?.n ?? 0)
    }
    return counts
  })
