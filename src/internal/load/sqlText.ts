/**
 * Statement builders for tables and indexes. Identifiers are always quoted (`ident`); data is
 * always bound as parameters.
 */
import type { ColumnSchema } from "../normalize/tableSchema.js"
import { SystemColumns } from "../normalize/tableSchema.js"
import { sqlType } from "./columnTypes.js"
import { ident, qualified } from "./identifiers.js"

export const columnList = (columns: ReadonlyArray<string>, alias?: string): string =>
  columns.map((c) => alias === undefined ? ident(c) : `${alias}.${ident(c)}`).join(", ")

export const columnDefinition = (column: ColumnSchema, withConstraints: boolean): string =>
  `${ident(column.name)} ${sqlType(column.type)}${withConstraints && !column.nullable ? " NOT NULL" : ""}`

/**
 * Final tables have their NOT NULLs. Staging tables are unconstrained and UNLOGGED (no WAL:
 * scratch data), unless they may become the final table at commit (see `StagedTable.swapCandidate`):
 * those are LOGGED and get the NOT NULLs they start with, so that the commit need not scan them
 * to set them (a violation fails the write to staging instead, before anything is visible).
 * Columns added later never are NOT NULL: rows before them have none.
 */
export const createTableSql = (
  schema: string,
  table: string,
  columns: ReadonlyArray<ColumnSchema>,
  options: { readonly staging: "unlogged" | "logged" | undefined }
): string =>
  `CREATE ${options.staging === "unlogged" ? "UNLOGGED " : ""}TABLE IF NOT EXISTS ${qualified(schema, table)} (${
    columns.map((c) => columnDefinition(c, options.staging !== "unlogged")).join(", ")
  })`

/** NOT NULL is never added to an existing table: its old rows would violate it. */
export const addColumnsSql = (schema: string, table: string, columns: ReadonlyArray<ColumnSchema>): string =>
  `ALTER TABLE ${qualified(schema, table)} ${
    columns.map((c) => `ADD COLUMN IF NOT EXISTS ${columnDefinition(c, false)}`).join(", ")
  }`

/** One statement for a whole batch: the rows arrive as one JSON text parameter ($1). */
export const insertFromJsonSql = (schema: string, table: string, columns: ReadonlyArray<ColumnSchema>): string =>
  `INSERT INTO ${qualified(schema, table)} (${columnList(columns.map((c) => c.name))}) SELECT ${
    columnList(columns.map((c) => c.name))
  } FROM json_to_recordset($1::json) AS t(${columns.map((c) => `${ident(c.name)} ${sqlType(c.type)}`).join(", ")})`

/** Every staged row of the columns into the final table. */
export const insertFromStagingSql = (
  schema: string,
  table: string,
  stagingSchema: string,
  staging: string,
  columns: ReadonlyArray<string>
): string =>
  `INSERT INTO ${qualified(schema, table)} (${columnList(columns)}) SELECT ${columnList(columns)} FROM ${
    qualified(stagingSchema, staging)
  }`

export const deleteAllSql = (schema: string, table: string): string => `DELETE FROM ${qualified(schema, table)}`

export const createIndexSql = (schema: string, table: string, name: string, column: string, unique: boolean): string =>
  `CREATE ${unique ? "UNIQUE " : ""}INDEX IF NOT EXISTS ${ident(name)} ON ${qualified(schema, table)} (${ident(column)})`

export const dropTablesSql = (schema: string, tables: ReadonlyArray<string>): string =>
  `DROP TABLE IF EXISTS ${tables.map((t) => qualified(schema, t)).join(", ")}`

/** Was some `_rc_id` staged more than once (the same record on two pages, or a merge key)? */
export const duplicateIdsSql = (stagedRoot: string): string =>
  `SELECT EXISTS (SELECT 1 FROM ${stagedRoot} GROUP BY ${ident(SystemColumns.id)} HAVING count(*) > 1) AS present`

export const mergeWorkMemSql = "SET LOCAL work_mem = '64MB'"

/** Serializes DDL on one schema across sessions: concurrent `CREATE ... IF NOT EXISTS` can still collide. */
export const lockSql = "SELECT pg_advisory_xact_lock(hashtext($1))"
export const lockKey = (schema: string): string => `effect-rest-connector:${schema}`

export const tableExistsSql = "SELECT to_regclass($1) IS NOT NULL AS present"
