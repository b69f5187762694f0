/**
 * Table parentage: which tables of a dataset belong to which root table, and each one's parent.
 * Names do not tell (a shortened child name need not start with `<root>__`). For the tables of
 * the load in progress the normalizer's `TableSchema.parent` is the truth; for stored tables
 * `_rc_tables` records it, written in the transaction that creates the tables and again in the
 * one that commits the load, so it is there whenever a table is.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { TableSchema } from "../normalize/tableSchema.js"
import { dataTypeOf } from "./columnTypes.js"
import type { Catalog, TableLink } from "./catalog.js"
import type { DestinationError } from "./destination.js"
import { parseSource } from "./columnSources.js"
import { ident, linkSourceColumn, qualified, SystemTables, systemTableNames } from "./identifiers.js"
import { exec } from "./sqlSession.js"

export const createLinksSql = (dataset: string): string =>
  `CREATE TABLE IF NOT EXISTS ${
    qualified(dataset, SystemTables.tables)
  } (table_name text PRIMARY KEY, parent_name text, root_name text NOT NULL, ${linkSourceColumn} text)`

/** `_rc_tables` of a dataset from before child tables' source keys were recorded. */
export const addLinkSourceSql = (dataset: string): string =>
  `ALTER TABLE ${qualified(dataset, SystemTables.tables)} ADD COLUMN IF NOT EXISTS ${ident(linkSourceColumn)} text`

/** All links in one statement: they arrive as one JSON text parameter ($1). A known source is never forgotten. */
const upsertLinksSql = (dataset: string) =>
  `INSERT INTO ${qualified(dataset, SystemTables.tables)} AS l (table_name, parent_name, root_name, ${linkSourceColumn})
  SELECT table_name, parent_name, root_name, source_key
  FROM json_to_recordset($1::json) AS t(table_name text, parent_name text, root_name text, source_key text)
  ON CONFLICT (table_name) DO UPDATE SET parent_name = EXCLUDED.parent_name, root_name = EXCLUDED.root_name,
    ${linkSourceColumn} = COALESCE(EXCLUDED.${linkSourceColumn}, l.${linkSourceColumn})`

// Datasets written before `_rc_tables` existed have no links: for their tables only, the old
// naming rule stands in (a child is `<root>__<field>...`). Their first commit records the links.

const legacyIsChildOf = (root: string, table: string): boolean => table.startsWith(`${root}__`)

/** Parent of a child table `a__b__c` by the old rule: the longest `__`-prefix that is itself a table. */
const legacyParentOf = (name: string, tables: ReadonlyMap<string, unknown>): string | undefined => {
  for (let i = name.lastIndexOf("__"); i > 0; i = name.lastIndexOf("__", i - 1)) {
    const prefix = name.slice(0, i)
    if (tables.has(prefix)) return prefix
  }
  return undefined
}

/** A stored table's parent: as recorded, else (a table from before `_rc_tables`) by the old rule. */
const storedParentOf = (catalog: Catalog, name: string): string | undefined => {
  const link = catalog.links.get(name)
  return link === undefined ? legacyParentOf(name, catalog.tables) : link.parent
}

/** The stored child tables of `root` (at any depth). */
export const storedChildrenOf = (catalog: Catalog, root: string): ReadonlyArray<string> =>
  [...catalog.tables.keys()].filter((table) => {
    if (table === root) return false
    const link = catalog.links.get(table)
    return link === undefined ? legacyIsChildOf(root, table) : link.root === root
  })

/** The dataset's data tables as stored (system tables left out), each with its parent and source keys. */
export const storedSchemas = (catalog: Catalog): ReadonlyArray<TableSchema> =>
  [...catalog.tables.entries()].filter(([name]) => !systemTableNames.has(name)).map(([name, columns]) => {
    const sources = catalog.sources.get(name)
    return {
      name,
      parent: storedParentOf(catalog, name),
      source: parseSource(catalog.links.get(name)?.source),
      columns: [...columns.entries()].map(([column, info]) => ({
        name: column,
        type: dataTypeOf(info.type),
        nullable: !info.required,
        source: parseSource(sources?.get(column))
      }))
    }
  })

/**
 * The links of a load's tree: its root, its tables (every one but the root is a child, with
 * the parent the normalizer gave it), and the root's stored children that have no link yet
 * (found by the old rule: from now on they are known without it).
 */
const linksOfLoad = (rootTable: string, tables: ReadonlyArray<TreeTable>, catalog: Catalog): ReadonlyMap<string, TableLink> => {
  const links = new Map<string, TableLink>([[rootTable, { parent: undefined, root: rootTable, source: undefined }]])
  for (const t of tables) {
    if (t.name === rootTable) continue
    const source = t.source === undefined ? catalog.links.get(t.name)?.source : JSON.stringify(t.source)
    links.set(t.name, { parent: t.parent ?? rootTable, root: rootTable, source })
  }
  for (const child of storedChildrenOf(catalog, rootTable)) {
    if (!links.has(child) && !catalog.links.has(child)) {
      links.set(child, { parent: storedParentOf(catalog, child) ?? rootTable, root: rootTable, source: undefined })
    }
  }
  return links
}

/** A table of a load's tree, as the normalizer (or a Schema) gave it. */
export interface TreeTable {
  readonly name: string
  readonly parent?: string | undefined
  readonly source?: ReadonlyArray<string> | undefined
}

/**
 * Records the links of a load's tree in `_rc_tables` (which must exist), in the caller's
 * transaction; only those that are new or changed, so that most commits write none.
 */
export const recordLinks = (
  sql: SqlClient.SqlClient,
  dataset: string,
  rootTable: string,
  tables: ReadonlyArray<TreeTable>,
  catalog: Catalog
): Effect.Effect<void, DestinationError> => {
  const changed: Array<{ table_name: string; parent_name: string | null; root_name: string; source_key: string | null }> = []
  for (const [table, link] of linksOfLoad(rootTable, tables, catalog)) {
    const stored = catalog.links.get(table)
    if (stored !== undefined && stored.parent === link.parent && stored.root === link.root && stored.source === link.source) continue
    changed.push({ table_name: table, parent_name: link.parent ?? null, root_name: link.root, source_key: link.source ?? null })
  }
  if (changed.length === 0) return Effect.void
  // One order for every session: concurrent upserts of the same rows then wait instead of deadlocking.
  changed.sort((x, y) => x.table_name < y.table_name ? -1 : x.table_name > y.table_name ? 1 : 0)
  return Effect.asVoid(
    exec(sql, upsertLinksSql(dataset), [JSON.stringify(changed)], "recording table parentage", dataset, SystemTables.tables)
  )
}
