/**
 * What a dataset holds as stored: its tables with their columns, its indexes, the parentage
 * recorded in `_rc_tables` (see tableGraph.ts) and the source keys recorded in `_rc_columns`
 * (see columnSources.ts).
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { DestinationError } from "./destination.js"
import { linkSourceColumn, qualified, SystemTables } from "./identifiers.js"
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
  /** A child table's source key (its list's raw keys in the parent row), as JSON; undefined when not recorded. */
  readonly source: string | undefined
}

export interface Catalog {
  readonly schemaExists: boolean
  /** table → columns in creation order */
  readonly tables: ReadonlyMap<string, ReadonlyMap<string, StoredColumnInfo>>
  readonly indexes: ReadonlySet<string>
  /** table → its recorded link (tables written before `_rc_tables` existed have none) */
  readonly links: ReadonlyMap<string, TableLink>
  /** table → column → its recorded source key, as JSON (columns written before `_rc_columns` existed have none) */
  readonly sources: ReadonlyMap<string, ReadonlyMap<string, string>>
}

/**
 * The dataset's tables, found through `pg_depend` (every table records its schema there, and
 * `ALTER TABLE ... SET SCHEMA` moves that record): `pg_class` has no index on `relnamespace`, so
 * a filter on it scans every relation in the database. With a dataset per tenant, thousands of
 * schemas share one database, and each commit reads the catalog several times: 5 ms a read at
 * 24 000 relations, growing with them, against 1.5 ms through the indexes, whatever the count.
 */
const datasetTables = `pg_catalog.pg_namespace n
JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_namespace'::regclass AND d.refobjid = n.oid
  AND d.classid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
JOIN pg_catalog.pg_class c ON c.oid = d.objid AND c.relnamespace = n.oid AND c.relkind IN ('r', 'p')`
const catalogColumnsSql = `SELECT c.relname AS tname, a.attname AS cname, format_type(a.atttypid, a.atttypmod) AS ctype,
  a.attnotnull AS required
FROM ${datasetTables}
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = $1
ORDER BY c.relname, a.attnum`
/** Indexes record no schema of their own in `pg_depend`: they are found through their tables (an index lives in its table's schema). */
const catalogIndexesSql = `SELECT i.relname AS iname
FROM ${datasetTables}
JOIN pg_catalog.pg_index x ON x.indrelid = c.oid
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
WHERE n.nspname = $1`

/** `source_key` came later: a dataset's `_rc_tables` gains it with its next load's DDL. */
const linksSql = (dataset: string, withSource: boolean) =>
  `SELECT table_name AS tname, parent_name AS parent, root_name AS root, ${withSource ? "source_key" : "NULL::text"} AS source FROM ${
    qualified(dataset, SystemTables.tables)
  }`

const sourcesSql = (dataset: string) =>
  `SELECT table_name AS tname, column_name AS cname, source_key AS source FROM ${qualified(dataset, SystemTables.columns)}`

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
  readonly source: string | null
}

interface SourceRow {
  readonly tname: string
  readonly cname: string
  readonly source: string
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
    const linksTable = tables.get(SystemTables.tables)
    if (linksTable !== undefined) {
      const rows = yield* query<LinkRow>(sql, linksSql(dataset, linksTable.has(linkSourceColumn)), [], what, dataset)
      for (const row of rows) links.set(row.tname, { parent: row.parent ?? undefined, root: row.root, source: row.source ?? undefined })
    }
    const sources = new Map<string, Map<string, string>>()
    if (tables.has(SystemTables.columns)) {
      for (const row of yield* query<SourceRow>(sql, sourcesSql(dataset), [], what, dataset)) {
        let table = sources.get(row.tname)
        if (table === undefined) {
          table = new Map()
          sources.set(row.tname, table)
        }
        table.set(row.cname, row.source)
      }
    }
    return { schemaExists, tables, indexes: new Set(indexes.map((r) => r.iname)), links, sources }
  })
