/** Which tables of a dataset are a root's children, and each stored table's parent. */
import type { TableSchema } from "../normalize/tableSchema.js"
import { dataTypeOf } from "./columnTypes.js"
import type { Catalog } from "./catalog.js"
import { systemTableNames } from "./identifiers.js"

/** Child tables are `<root>__<field>...`; `parent` says so too when the normalizer knows. */
export const isChildOf = (root: string, table: string): boolean => table.startsWith(`${root}__`)

/** Parent of a child table `a__b__c`: the longest `__`-prefix that is itself a table. */
const parentOf = (name: string, tables: ReadonlyMap<string, unknown>): string | undefined => {
  for (let i = name.lastIndexOf("__"); i > 0; i = name.lastIndexOf("__", i - 1)) {
    const prefix = name.slice(0, i)
    if (tables.has(prefix)) return prefix
  }
  return undefined
}

/** The stored child tables of `root` (at any depth). */
export const storedChildrenOf = (catalog: Catalog, root: string): ReadonlyArray<string> =>
  [...catalog.tables.keys()].filter((t) => isChildOf(root, t))

/** The dataset's data tables as stored (system tables left out), each with its parent. */
export const storedSchemas = (catalog: Catalog): ReadonlyArray<TableSchema> =>
  [...catalog.tables.entries()].filter(([name]) => !systemTableNames.has(name)).map(([name, columns]) => ({
    name,
    parent: parentOf(name, catalog.tables),
    columns: [...columns.entries()].map(([column, info]) => ({
      name: column,
      type: dataTypeOf(info.type),
      nullable: !info.required
    }))
  }))
