/**
 * What a dataset holds as stored: its tables with their columns, its indexes, and the parentage
 * recorded in `_rc_tables` (see tableGraph.ts).
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { DestinationError } from "./destination.js"
import { qualified, SystemTables } from "./identifiers.js"
import { exists, query } from "./sqlSession.js"

export interface StoredColumnInfo {
  readonly type: string
  readonly required: boolean
}

/** A table's place in its resource's tree, as `_rc_tables` records it. */
export interface TableLink {
  /** Undefined for a root table. */
  readonly parent: string | undefined
  readonly root: string
}

export interface Catalog {
  readonly schemaExists: boolean
  /** table → columns in creation order */
  readonly tables: ReadonlyMap<string, ReadonlyMap<string, StoredColumnInfo>>
  readonly indexes: ReadonlySet<string>
  /** table → its recorded link (tables written before `_rc_tables` existed have none) */
  readonly links: ReadonlyMap<string, TableLink>
}

const catalogColumnsSql = `SELECT c.relname AS tname, a.attname AS cname, format_type(a.atttypid, a.atttypmod) AS ctype,
  a.attnotnull AS required
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
ORDER BY c.relname, a.attnum`

const catalogIndexesSql = `SELECT i.relname AS iname FROM pg_catalog.pg_class i
JOIN pg_catalog.pg_namespace n ON n.oid = i.relnamespace
WHERE n.nspname = $1 AND i.relkind = 'i'`

const linksSql = (dataset: string) =>
  `SELECT table_name AS tname, parent_name AS parent, root_name AS root FROM ${qualified(dataset, SystemTables.tables)}`

const schemaExistsSql = "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS present"

interface ColumnRow {
  readonly tname: string
  readonly cname: string
  readonly ctype: string
  readonly required: boolean
}

interface LinkRow {
  readonly tname: string
  readonly parent: string | null
  readonly root: string
}

export const readCatalog = (sql: SqlClient.SqlClient, dataset: string): Effect.Effect<Catalog, DestinationError> =>
  Effect.gen(function*() {
    const what = "reading the catalog"
    const columns = yield* query<ColumnRow>(sql, catalogColumnsSql, [dataset], what, dataset)
    const tables = new Map<string, Map<string, StoredColumnInfo>>()
    for (const row of columns) {
      let table = tables.get(row.tname)
      if (table === undefined) {
        table = new Map()
        tables.set(row.tname, table)
      }
      table.set(row.cname, { type: row.ctype, required: row.required })
    }
    const schemaExists = tables.size > 0 || (yield* exists(sql, schemaExistsSql, dataset, what, dataset))
    const indexes = schemaExists ? yield* query<{ readonly iname: string }>(sql, catalogIndexesSql, [dataset], what, dataset) : []
    const links = new Map<string, TableLink>()
    if (tables.has(SystemTables.tables)) {
      const rows = yield* query<LinkRow>(sql, linksSql(dataset), [], what, dataset)
      for (const row of rows) links.set(row.tname, { parent: row.parent ?? undefined, root: row.root })
    }
    return { schemaExists, tables, indexes: new Set(indexes.map((r) => r.iname)), links }
  })
