/** Table schemas written by hand for the storage tests, with the normalizer's system columns. */
import type { ColumnSchema, DataType, TableSchema } from "../../src/internal/normalize/tableSchema.js"

export const col = (name: string, type: DataType, nullable = true): ColumnSchema => ({ name, type, nullable })

/** A resource's root table: `_rc_id`, `_rc_load_id`, `_rc_seq`, then `columns`. */
export const rootTable = (name: string, columns: ReadonlyArray<ColumnSchema>): TableSchema => ({
  name,
  columns: [col("_rc_id", "text", false), col("_rc_load_id", "text", false), col("_rc_seq", "bigint"), ...columns]
})

/** A child (list) table: its links to parent and root, then `columns`. */
export const childTable = (name: string, parent: string, columns: ReadonlyArray<ColumnSchema>): TableSchema => ({
  name,
  parent,
  columns: [
    col("_rc_id", "text", false),
    col("_rc_parent_id", "text", false),
    col("_rc_list_idx", "bigint", false),
    col("_rc_root_id", "text", false),
    col("_rc_seq", "bigint"),
    ...columns
  ]
})
