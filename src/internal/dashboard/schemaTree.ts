/**
 * The dataset's tables as trees: each root table (a resource's) with its child tables and
 * theirs, from the catalog and the parentage `_rc_tables` records; columns with their SQL
 * types, source keys and variant columns; the resource's keys and write disposition from the
 * config; the schema version of its newest load.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { readCatalog } from "../load/catalog.js"
import type { DestinationError } from "../load/destination.js"
import { latestLoads } from "../load/history.js"
import { systemTableNames } from "../load/identifiers.js"
import { parseSource } from "../load/columnSources.js"
import { storedSchemas } from "../load/tableGraph.js"
import { versionCount } from "./data.js"
import type { ColumnView, DashboardResource, RootTable, SchemaView, TableNode } from "./model.js"

/** dlt's variant columns: `<name>__v_<type>` holds the values of `<name>` that did not fit its type. */
const variantPattern = /^(.+)__v_[a-z0-9_]+$/

export const schemaTree = (
  dataset: string,
  resources: ReadonlyArray<DashboardResource>
): Effect.Effect<SchemaView, DestinationError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const catalog = yield* readCatalog(sql, dataset)
    const schemas = storedSchemas(catalog)
    const last = yield* latestLoads(sql, dataset)
    const versions = yield* versionCount(dataset)
    const childrenOf = new Map<string, Array<string>>()
    for (const t of schemas) {
      if (t.parent === undefined) continue
      const list = childrenOf.get(t.parent) ?? []
      list.push(t.name)
      childrenOf.set(t.parent, list)
    }
    const byName = new Map(schemas.map((t) => [t.name, t]))
    const columnsOf = (table: string): ReadonlyArray<ColumnView> => {
      const stored = catalog.tables.get(table)
      const sources = catalog.sources.get(table)
      if (stored === undefined) return []
      const names = new Set(stored.keys())
      return [...stored.entries()].map(([name, info]) => {
        const base = variantPattern.exec(name)?.[1]
        return {
          name,
          type: info.type,
          nullable: !info.required,
          source: parseSource(sources?.get(name)) ?? null,
          variantOf: base !== undefined && names.has(base) ? base : null,
          system: name.startsWith("_rc_")
        }
      })
    }
    // Guarded against a cycle in damaged parentage: a table appears once.
    const seen = new Set<string>()
    const node = (name: string): TableNode => {
      seen.add(name)
      return {
        name,
        source: byName.get(name)?.source ?? null,
        columns: columnsOf(name),
        children: (childrenOf.get(name) ?? []).filter((c) => !seen.has(c)).sort().map(node)
      }
    }
    const byTable = new Map(resources.map((r) => [r.table, r]))
    const versionOf = new Map<string, string>()
    for (const load of last.values()) {
      const root = resources.find((r) => r.name === load.resource)?.table
      if (root !== undefined && load.schemaVersion !== undefined) versionOf.set(root, load.schemaVersion)
    }
    // The config's order, then tables no configured resource writes.
    const rank = (name: string) => {
      const i = resources.findIndex((r) => r.table === name)
      return i === -1 ? resources.length : i
    }
    const roots = schemas.filter((t) => t.parent === undefined && !systemTableNames.has(t.name)).map((t) => t.name)
      .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    const tables = roots.map((name): RootTable => ({
      ...node(name),
      resource: byTable.get(name) ?? null,
      schemaVersion: versionOf.get(name) ?? null
    }))
    return { dataset, exists: catalog.schemaExists, tables, versions }
  })
