/**
 * The shape of what we write to Postgres: tables, columns and rows.
 * Shared by the normalizer (which produces them) and the destination (which stores them).
 */

/** Column types we create. Names are our own; `Postgres.sqlType` maps them to SQL. */
export type DataType = "text" | "bigint" | "double" | "boolean" | "timestamptz" | "numeric" | "jsonb" | "date" | "time" | "binary"

export const DataTypes: ReadonlyArray<DataType> = [
  "text",
  "bigint",
  "double",
  "boolean",
  "timestamptz",
  "numeric",
  "jsonb",
  "date",
  "time",
  "binary"
]

export interface ColumnSchema {
  readonly name: string
  readonly type: DataType
  readonly nullable: boolean
}

export interface TableSchema {
  /** Final table name inside the dataset (already normalized, <= 63 bytes). */
  readonly name: string
  /** Name of the parent table for child (list) tables; undefined for a resource's root table. */
  readonly parent?: string | undefined
  /** Columns in creation order, system columns included. */
  readonly columns: ReadonlyArray<ColumnSchema>
}

/** A JSON-serializable cell value; `Date` is allowed for timestamptz cells. */
export type Cell = string | number | boolean | null | Date | ReadonlyArray<unknown> | { readonly [k: string]: unknown }

/** One row: column name → value. Missing columns are NULL. */
export type Row = Readonly<Record<string, Cell>>

/** System column names (dlt's `_dlt_*`, prefixed `_rc_` here). */
export const SystemColumns = {
  id: "_rc_id",
  loadId: "_rc_load_id",
  parentId: "_rc_parent_id",
  listIdx: "_rc_list_idx",
  rootId: "_rc_root_id",
  /**
   * Staging-only: ordinal of the root record within the load (root and child rows carry
   * their root's ordinal). Used to keep only the last duplicate of a merge key; it is never
   * copied into the final tables.
   */
  seq: "_rc_seq"
} as const

export type WriteDisposition = "append" | "replace" | "merge"
