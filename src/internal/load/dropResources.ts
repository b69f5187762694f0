/**
 * Dropping resources from a dataset: each one's tables (its root tables and all their child
 * tables, by the parentage `_rc_tables` records, see tableGraph.ts), their rows in
 * `_rc_tables` and `_rc_columns`, and the resource's state, so its next run starts over. The
 * load history (`_rc_loads`) stays. A resource's root tables are the ones its config names and
 * the ones its loads wrote (a `table_name` function's several).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { type Catalog, readCatalog } from "./catalog.js"
import type { DestinationError } from "./destination.js"
import { qualified, SystemTables } from "./identifiers.js"
import { exec, query, unitOfWork } from "./sqlSession.js"
import { withResourceLock } from "./storedStates.js"
import { storedSchemas } from "./tableGraph.js"
import { familyOf, indexByName, rootOf } from "../normalize/tableSchema.js"

/** A resource to drop, with the root table(s) its config gives it. */
export interface ResourceTables {
  readonly resource: string
  /** Root tables the config names for it (normalized); tables its loads wrote are added. */
  readonly rootTables: ReadonlyArray<string>
}

/** What dropping a resource drops. */
export interface DropTarget {
  readonly resource: string
  /** Its stored tables: each root table, then its child tables. */
  readonly tables: ReadonlyArray<string>
  /** It has a stored state (`_rc_state`). */
  readonly hasState: boolean
  /** Other resources whose loads wrote some of these tables (they lose those rows too). */
  readonly sharedWith: ReadonlyArray<string>
}

/** Names as one text parameter, split in SQL: a text[] parameter would need an array literal. */
const nameList = (names: Iterable<string>): string => [...names].join("\u001f")
const anyName = (n: number) => `ANY (string_to_array($${n}, chr(31)))`

/** The tables each resource's loads wrote (the keys of `_rc_loads.rows`). */
const loadedTables = (sql: SqlClient.SqlClient, dataset: string, catalog: Catalog) =>
  Effect.gen(function*() {
    const byResource = new Map<string, Set<string>>()
    const loads = catalog.tables.get(SystemTables.loads)
    // Datasets written by older versions may lack `rows` (see `loadsColumns`).
    if (loads === undefined || !loads.has("rows")) return byResource
    const rows = yield* query<{ readonly resource: string; readonly tname: string }>(
      sql,
      `SELECT DISTINCT l.resource, k.key AS tname FROM ${qualified(dataset, SystemTables.loads)} l,
        jsonb_object_keys(CASE WHEN jsonb_typeof(l.rows) = 'object' THEN l.rows ELSE '{}'::jsonb END) AS k(key)`,
      [],
      "reading which tables the loads wrote",
      dataset
    )
    for (const row of rows) {
      const tables = byResource.get(row.resource) ?? new Set<string>()
      tables.add(row.tname)
      byResource.set(row.resource, tables)
    }
    return byResource
  })

const storedStateNames = (sql: SqlClient.SqlClient, dataset: string, catalog: Catalog) =>
  catalog.tables.has(SystemTables.state)
    ? Effect.map(
      query<{ readonly resource: string }>(
        sql,
        `SELECT resource FROM ${qualified(dataset, SystemTables.state)}`,
        [],
        "reading the resource states",
        dataset
      ),
      (rows) => new Set(rows.map((r) => r.resource))
    )
    : Effect.succeed(new Set<string>())

const targetOf = (
  catalog: Catalog,
  loaded: ReadonlyMap<string, ReadonlySet<string>>,
  states: ReadonlySet<string>,
  resource: ResourceTables
): DropTarget & { readonly roots: ReadonlyArray<string> } => {
  const schemas = storedSchemas(catalog)
  const byName = indexByName(schemas)
  const roots = new Set<string>()
  for (const root of resource.rootTables) if (byName.has(root)) roots.add(root)
  for (const table of [...(loaded.get(resource.resource) ?? [])].sort()) {
    const schema = byName.get(table)
    if (schema !== undefined) roots.add(rootOf(schema, byName))
  }
  const tables: Array<string> = []
  for (const root of roots) {
    tables.push(root)
    for (const t of familyOf(root, schemas)) if (!tables.includes(t.name)) tables.push(t.name)
  }
  const sharedWith = [...loaded.entries()]
    .filter(([other, written]) => other !== resource.resource && tables.some((t) => written.has(t)))
    .map(([other]) => other)
    .sort()
  return { resource: resource.resource, tables, roots: [...roots], hasState: states.has(resource.resource), sharedWith }
}

/** What dropping `resources` would drop, as the dataset is now. */
export const planDrop = (
  dataset: string,
  resources: ReadonlyArray<ResourceTables>
): Effect.Effect<ReadonlyArray<DropTarget>, DestinationError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const catalog = yield* readCatalog(sql, dataset)
    const loaded = yield* loadedTables(sql, dataset, catalog)
    const states = yield* storedStateNames(sql, dataset, catalog)
    return resources.map((r) => {
      const { roots: _, ...target } = targetOf(catalog, loaded, states, r)
      return target
    })
  })

/** One resource's drop, in one transaction, planned again inside it. */
const dropOne = (sql: SqlClient.SqlClient, dataset: string, resource: ResourceTables) =>
  unitOfWork(
    sql,
    `dropping resource ${resource.resource}`,
    dataset,
    Effect.gen(function*() {
      const catalog = yield* readCatalog(sql, dataset)
      const loaded = yield* loadedTables(sql, dataset, catalog)
      const states = yield* storedStateNames(sql, dataset, catalog)
      const { roots, ...target } = targetOf(catalog, loaded, states, resource)
      const what = `dropping resource ${resource.resource}`
      if (target.tables.length > 0) {
        const names = target.tables.map((t) => qualified(dataset, t)).join(", ")
        yield* exec(sql, `DROP TABLE IF EXISTS ${names}`, [], what, dataset)
      }
      const tables = nameList(target.tables)
      if (catalog.tables.has(SystemTables.tables)) {
        yield* exec(
          sql,
          `DELETE FROM ${qualified(dataset, SystemTables.tables)} WHERE table_name = ${anyName(1)} OR root_name = ${anyName(2)}`,
          [tables, nameList(roots)],
          what,
          dataset,
          SystemTables.tables
        )
      }
      if (catalog.tables.has(SystemTables.columns)) {
        yield* exec(
          sql,
          `DELETE FROM ${qualified(dataset, SystemTables.columns)} WHERE table_name = ${anyName(1)}`,
          [tables],
          what,
          dataset,
          SystemTables.columns
        )
      }
      if (target.hasState) {
        yield* exec(
          sql,
          `DELETE FROM ${qualified(dataset, SystemTables.state)} WHERE resource = $1`,
          [resource.resource],
          what,
          dataset,
          SystemTables.state
        )
      }
      return target
    })
  )

/**
 * Drops `resources` (see the module comment): one at a time, each under the lock a run loading
 * it holds (so never in the middle of its load) and in one transaction. What was dropped.
 */
export const dropResources = (
  dataset: string,
  resources: ReadonlyArray<ResourceTables>
): Effect.Effect<ReadonlyArray<DropTarget>, DestinationError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const dropped: Array<DropTarget> = []
    for (const resource of resources) {
      dropped.push(yield* withResourceLock(sql, dataset, resource.resource, dropOne(sql, dataset, resource)))
    }
    return dropped
  })
