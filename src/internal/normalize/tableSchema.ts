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
  /**
   * The source key whose values the column holds: the raw keys from the table's row,
   * outermost first (`["meta", "UserID"]` for `meta__user_id`); none for system columns.
   */
  readonly source?: ReadonlyArray<string> | undefined
}

export interface TableSchema {
  /** Final table name inside the dataset (already normalized, <= 63 bytes). */
  readonly name: string
  /** Name of the parent table for child (list) tables; undefined for a resource's root table. */
  readonly parent?: string | undefined
  /** A child table's source key: the raw keys of its list in the parent table's row. */
  readonly source?: ReadonlyArray<string> | undefined
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

const systemColumn = (name: string, type: DataType): ColumnSchema => ({ name, type, nullable: false })

/** System columns of a resource's root table, in table order. */
export const rootSystemColumns: ReadonlyArray<ColumnSchema> = [
  systemColumn(SystemColumns.id, "text"),
  systemColumn(SystemColumns.loadId, "text"),
  systemColumn(SystemColumns.seq, "bigint")
]

/** System columns of a child (list) table, in table order. */
export const childSystemColumns: ReadonlyArray<ColumnSchema> = [
  systemColumn(SystemColumns.id, "text"),
  systemColumn(SystemColumns.parentId, "text"),
  systemColumn(SystemColumns.listIdx, "bigint"),
  systemColumn(SystemColumns.rootId, "text"),
  systemColumn(SystemColumns.seq, "bigint")
]

/** Every system column name; a record key may not normalize to one of them. */
export const systemColumnNames: ReadonlySet<string> = new Set(Object.values(SystemColumns))

// ---------------------------------------------------------------------------------------------
// The table graph: a child table names its parent, a root table has none. Long names are
// shortened (naming.ts `shorten`), so a child of `<root>` need not be called `<root>__...`:
// ask the parent links, never the name.

/** The tables by name, for `rootOf`. */
export const indexByName = (tables: Iterable<TableSchema>): ReadonlyMap<string, TableSchema> => {
  const byName = new Map<string, TableSchema>()
  for (const t of tables) byName.set(t.name, t)
  return byName
}

/**
 * Name of the root table `table` descends from, following `parent` links (a table without a
 * parent is its own root). A link to a table missing from `tablesByName` ends the walk there:
 * that parent's name is the furthest root known. Malformed links that loop stop where they close.
 */
export const rootOf = (table: TableSchema, tablesByName: ReadonlyMap<string, TableSchema>): string => {
  let name = table.name
  let parent = table.parent
  let steps = tablesByName.size
  while (parent !== undefined && steps-- >= 0) {
    name = parent
    parent = tablesByName.get(parent)?.parent
  }
  return name
}

/**
 * Whether `table` is `ancestor` or one of its descendants, following `parent` links (the same
 * walk as `rootOf`: it ends at a table missing from `tablesByName`, or where links loop).
 */
export const descendsFrom = (table: TableSchema, ancestor: string, tablesByName: ReadonlyMap<string, TableSchema>): boolean => {
  if (table.name === ancestor) return true
  let parent = table.parent
  let steps = tablesByName.size
  while (parent !== undefined && steps-- >= 0) {
    if (parent === ancestor) return true
    parent = tablesByName.get(parent)?.parent
  }
  return false
}

/** `root` and all its descendants among `tables`, in the order of `tables` (any table may be `root`). */
export const familyOf = (root: string, tables: ReadonlyArray<TableSchema>): ReadonlyArray<TableSchema> => {
  const byName = indexByName(tables)
  return tables.filter((t) => descendsFrom(t, root, byName))
}

/** The tables whose parent is `parent`, in the order of `tables`. */
export const childrenOf = (parent: string, tables: ReadonlyArray<TableSchema>): ReadonlyArray<TableSchema> =>
  tables.filter((t) => t.parent === parent)
