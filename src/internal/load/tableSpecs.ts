/** The final tables a load must make exist, as `TableSpec`s for DDL planning. */
import type { ColumnSchema } from "../normalize/tableSchema.js"
import { SystemColumns } from "../normalize/tableSchema.js"
import type { TableSpec } from "./ddlPlan.js"
import type { MergeOptions } from "./destination.js"
import type { LoadState } from "./loadState.js"
import { validityNames } from "./mergeSql.js"

/** NULL `_rc_valid_to` marks the active version (dlt's default). */
const validityColumns = (merge: MergeOptions): ReadonlyArray<ColumnSchema> => [
  { name: validityNames(merge).from, type: "timestamptz", nullable: true },
  { name: validityNames(merge).to, type: "timestamptz", nullable: true }
]

/** Declared tables plus everything staged, `_rc_seq` left out. */
export const tableSpecs = (state: LoadState): ReadonlyArray<TableSpec> => {
  const { isMerge, merge, rootTable } = state
  const specs = new Map<string, { columns: Map<string, ColumnSchema>; child: boolean }>()
  const add = (name: string, columns: Iterable<ColumnSchema>) => {
    let spec = specs.get(name)
    if (spec === undefined) {
      // Every table of a load but its root is one of the root's children (the normalizer's).
      spec = { columns: new Map(), child: name !== rootTable }
      specs.set(name, spec)
    }
    for (const c of columns) {
      if (c.name !== SystemColumns.seq && !spec.columns.has(c.name)) spec.columns.set(c.name, c)
    }
  }
  for (const t of state.declaredTables) add(t.name, t.columns)
  for (const t of state.staged.values()) add(t.table, t.columns.values())
  if (isMerge && merge.strategy === "scd2") add(rootTable, validityColumns(merge))
  return [...specs.entries()].map(([name, spec]): TableSpec => ({
    name,
    columns: [...spec.columns.values()],
    child: spec.child,
    idIndex: !isMerge || name !== rootTable ? "none" : merge.strategy === "scd2" ? "plain" : "unique",
    conflictTarget: isMerge && name === rootTable && merge.strategy === "upsert",
    rootIdIndex: isMerge && spec.child
  }))
}
