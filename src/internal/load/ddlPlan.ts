/** DDL planning: the statements that make a dataset's catalog fit the tables a load needs. */
import type { ColumnSchema } from "../normalize/tableSchema.js"
import { SystemColumns } from "../normalize/tableSchema.js"
import type { Catalog } from "./catalog.js"
import { createSourcesSql } from "./columnSources.js"
import { childIndexName, ident, linkSourceColumn, qualified, rootIndexName, SystemTables, versionIndexName } from "./identifiers.js"
import { createStateSql, createVersionSql, loadsColumns } from "./loadRecords.js"
import { addColumnsSql, createIndexSql, createTableSql } from "./sqlText.js"
import { addLinkSourceSql, createLinksSql } from "./tableGraph.js"

/** Desired final table: staged and declared schemas merged, `_rc_seq` removed. */
export interface TableSpec {
  readonly name: string
  readonly columns: ReadonlyArray<ColumnSchema>
  readonly child: boolean
  /** Index on root `_rc_id`: unique for key-based merge tables, plain for scd2 (versions share ids). */
  readonly idIndex: "unique" | "plain" | "none"
  /** The commit's SQL needs the unique index from the start (upsert's ON CONFLICT). */
  readonly conflictTarget: boolean
  /** A merge table's child: merges delete its rows by `_rc_root_id`, so that is indexed. */
  readonly rootIdIndex: boolean
}

export interface Ddl {
  readonly sql: string
  readonly table?: string | undefined
  /**
   * The `_rc_root_id` index of a child table: only a merge into an existing table uses it, so a
   * table created by this load gets it from the next load that merges into it.
   */
  readonly untilMerged?: boolean | undefined
}

/** The dataset's schema and system tables, as far as they are missing. */
const systemDdl = (dataset: string, catalog: Catalog): ReadonlyArray<Ddl> => {
  const ddl: Array<Ddl> = []
  if (!catalog.schemaExists) ddl.push({ sql: `CREATE SCHEMA IF NOT EXISTS ${ident(dataset)}` })
  const loads = catalog.tables.get(SystemTables.loads)
  if (loads === undefined) {
    ddl.push({ sql: createTableSql(dataset, SystemTables.loads, loadsColumns, { staging: undefined }), table: SystemTables.loads })
  } else {
    // Datasets written by older versions lack newer `_rc_loads` columns.
    const missing = loadsColumns.filter((c) => !loads.has(c.name))
    if (missing.length > 0) ddl.push({ sql: addColumnsSql(dataset, SystemTables.loads, missing), table: SystemTables.loads })
  }
  if (!catalog.tables.has(SystemTables.state)) ddl.push({ sql: createStateSql(dataset), table: SystemTables.state })
  if (!catalog.tables.has(SystemTables.version)) ddl.push({ sql: createVersionSql(dataset), table: SystemTables.version })
  const links = catalog.tables.get(SystemTables.tables)
  if (links === undefined) ddl.push({ sql: createLinksSql(dataset), table: SystemTables.tables })
  else if (!links.has(linkSourceColumn)) ddl.push({ sql: addLinkSourceSql(dataset), table: SystemTables.tables })
  if (!catalog.tables.has(SystemTables.columns)) ddl.push({ sql: createSourcesSql(dataset), table: SystemTables.columns })
  return ddl
}

/** The indexes of one table that are missing (or, for scd2, in the way). */
const indexDdl = (dataset: string, catalog: Catalog, spec: TableSpec): ReadonlyArray<Ddl> => {
  const ddl: Array<Ddl> = []
  const stored = catalog.tables.get(spec.name)
  const hasColumn = (name: string) => spec.columns.some((c) => c.name === name) || (stored?.has(name) ?? false)
  if (spec.idIndex === "unique" && !catalog.indexes.has(rootIndexName(spec.name))) {
    ddl.push({ sql: createIndexSql(dataset, spec.name, rootIndexName(spec.name), SystemColumns.id, true), table: spec.name })
  }
  if (spec.idIndex === "plain") {
    // A table switched to scd2 would fail on its first re-activated version otherwise.
    if (catalog.indexes.has(rootIndexName(spec.name))) {
      ddl.push({ sql: `DROP INDEX IF EXISTS ${qualified(dataset, rootIndexName(spec.name))}`, table: spec.name })
    }
    if (!catalog.indexes.has(versionIndexName(spec.name))) {
      ddl.push({
        sql: createIndexSql(dataset, spec.name, versionIndexName(spec.name), SystemColumns.id, false),
        table: spec.name
      })
    }
  }
  if (spec.child && spec.rootIdIndex && hasColumn(SystemColumns.rootId) && !catalog.indexes.has(childIndexName(spec.name))) {
    ddl.push({
      sql: createIndexSql(dataset, spec.name, childIndexName(spec.name), SystemColumns.rootId, false),
      table: spec.name,
      untilMerged: true
    })
  }
  return ddl
}

/**
 * DDL that makes the catalog fit the specs. Indexes of the tables in `withoutIndexes` are left
 * out: a table created by this load gets them after its rows are in (one bulk index build is
 * much cheaper than maintaining the index row by row).
 */
export const planDdl = (
  dataset: string,
  catalog: Catalog,
  specs: ReadonlyArray<TableSpec>,
  withoutIndexes: ReadonlySet<string> = new Set()
): ReadonlyArray<Ddl> => {
  const ddl: Array<Ddl> = [...systemDdl(dataset, catalog)]
  for (const spec of specs) {
    const stored = catalog.tables.get(spec.name)
    if (stored === undefined) {
      ddl.push({ sql: createTableSql(dataset, spec.name, spec.columns, { staging: undefined }), table: spec.name })
    } else {
      const missing = spec.columns.filter((c) => !stored.has(c.name))
      if (missing.length > 0) ddl.push({ sql: addColumnsSql(dataset, spec.name, missing), table: spec.name })
    }
    if (!withoutIndexes.has(spec.name)) ddl.push(...indexDdl(dataset, catalog, spec))
  }
  return ddl
}
