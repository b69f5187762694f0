/**
 * Which source key each column holds, recorded in `_rc_columns` (table, column, the raw keys
 * from the table's row as a JSON array): the names of keys that normalize alike depend on the
 * order they were first met (normalize/nameClaims.ts), so the next run reads them back and a
 * key keeps its column. Written like `_rc_tables`: in the transaction that creates the columns
 * and again in the one that commits the load, only what is new or changed.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { ColumnSchema } from "../normalize/tableSchema.js"
import type { Catalog } from "./catalog.js"
import type { DestinationError } from "./destination.js"
import { qualified, SystemTables } from "./identifiers.js"
import { exec } from "./sqlSession.js"

export const createSourcesSql = (dataset: string): string =>
  `CREATE TABLE IF NOT EXISTS ${
    qualified(dataset, SystemTables.columns)
  } (table_name text NOT NULL, column_name text NOT NULL, source_key text NOT NULL, PRIMARY KEY (table_name, column_name))`

/** All rows in one statement: they arrive as one JSON text parameter ($1). */
const upsertSourcesSql = (dataset: string) =>
  `INSERT INTO ${qualified(dataset, SystemTables.columns)} (table_name, column_name, source_key)
  SELECT table_name, column_name, source_key FROM json_to_recordset($1::json) AS t(table_name text, column_name text, source_key text)
  ON CONFLICT (table_name, column_name) DO UPDATE SET source_key = EXCLUDED.source_key`

/** A recorded source key, when it is one (a JSON array of strings). */
export const parseSource = (text: string | undefined): ReadonlyArray<string> | undefined => {
  if (text === undefined) return undefined
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) && value.every((k) => typeof k === "string") ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * Records the source keys of the load's columns in `_rc_columns` (which must exist), in the
 * caller's transaction; only those not recorded yet or recorded otherwise.
 */
export const recordSources = (
  sql: SqlClient.SqlClient,
  dataset: string,
  tables: ReadonlyArray<{ readonly name: string; readonly columns: Iterable<ColumnSchema> }>,
  catalog: Catalog
): Effect.Effect<void, DestinationError> => {
  const changed = new Map<string, { table_name: string; column_name: string; source_key: string }>()
  for (const t of tables) {
    const stored = catalog.sources.get(t.name)
    for (const c of t.columns) {
      if (c.source === undefined) continue
      const source = JSON.stringify(c.source)
      if (stored?.get(c.name) === source) continue
      changed.set(`${t.name}\u0000${c.name}`, { table_name: t.name, column_name: c.name, source_key: source })
    }
  }
  if (changed.size === 0) return Effect.void
  // One order for every session: concurrent upserts of the same rows then wait instead of deadlocking.
  const rows = [...changed.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([, row]) => row)
  return Effect.asVoid(
    exec(sql, upsertSourcesSql(dataset), [JSON.stringify(rows)], "recording column source keys", dataset, SystemTables.columns)
  )
}
