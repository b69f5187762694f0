/**
 * `Destination` over `SqlClient`: the same SQL runs on a Postgres server and on the embedded
 * PGlite. Rows stream into per-load staging tables in `<dataset>_staging`; `commit` moves them
 * into the final tables in one transaction (DESIGN §4), merging with dlt's strategies
 * (`planMerge`) and recording the resource's schema version in `_rc_version`.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { Cause, Context, Effect, Either, Fiber, Layer, Redacted } from "effect"
import type { Scope } from "effect/Scope"
import { createHash } from "node:crypto"
import type { ColumnSchema, DataType, Row, TableSchema } from "../normalize/tableSchema.js"
import { SystemColumns } from "../normalize/tableSchema.js"
import type { Batch, LoadResult, MergeOptions, ResourceLoad, StartLoadOptions } from "./destination.js"
import { kindOfDataType } from "./copyText.js"
import * as Copy from "./pgCopy.js"
import type { CopyWriter } from "./pgCopy.js"
import type { RowsEncoder } from "./rowsEncoder.js"
import { Destination, DestinationError, Scd2Columns } from "./destination.js"

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

/** Postgres truncates longer identifiers silently, so we shorten them ourselves, deterministically. */
const maxIdentifierBytes = 63

/** Quotes an identifier (embedded `"` doubled); every identifier in our SQL goes through this. */
export const ident = (name: string): string => `"${name.replaceAll("\"", "\"\"")}"`

const qualified = (schema: string, table: string): string => `${ident(schema)}.${ident(table)}`

const byteLength = (s: string): number => Buffer.byteLength(s, "utf8")

const shortHash = (...parts: ReadonlyArray<string>): string =>
  createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 8)

const truncateBytes = (s: string, maxBytes: number): string => {
  let out = ""
  for (const ch of s) {
    if (byteLength(out + ch) > maxBytes) break
    out += ch
  }
  return out
}

/** `name + suffix` within 63 bytes; an over-long name keeps its head plus a hash of the whole name. */
export const fitIdentifier = (name: string, suffix: string): string => {
  if (byteLength(name) + byteLength(suffix) <= maxIdentifierBytes) return name + suffix
  const hash = `_${shortHash(name)}`
  return truncateBytes(name, maxIdentifierBytes - byteLength(suffix) - hash.length) + hash + suffix
}

export const stagingSchemaName = (dataset: string): string => fitIdentifier(dataset, "_staging")

/**
 * Staging table of one table in one resource load. The suffix hashes load id and resource:
 * resources of one run share the load id and may even write the same table.
 */
export const stagingTableName = (table: string, loadId: string, resource: string): string =>
  fitIdentifier(table, `__${shortHash(loadId, resource)}`)

/** Registry of staging tables (which resource and load own them), so leftovers can be found. */
const registryTable = "_rc_staging_tables"
const loadsTable = "_rc_loads"
const stateTable = "_rc_state"
const versionTable = "_rc_version"
const systemTables: ReadonlySet<string> = new Set([loadsTable, stateTable, versionTable])

const rootIndexName = (table: string) => fitIdentifier(table, "__rc_id_key")
/** scd2 keeps several versions per `_rc_id` (a row that changes back), so its index is not unique. */
const versionIndexName = (table: string) => fitIdentifier(table, "__rc_id_idx")
const childIndexName = (table: string) => fitIdentifier(table, "__rc_root_idx")

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/** SQL type of a `DataType`. */
export const sqlType = (type: DataType): string => {
  switch (type) {
    case "text":
      return "text"
    case "bigint":
      return "bigint"
    case "double":
      return "double precision"
    case "boolean":
      return "boolean"
    case "timestamptz":
      return "timestamptz"
    case "numeric":
      return "numeric"
    case "jsonb":
      return "jsonb"
    case "date":
      return "date"
    case "time":
      return "time"
    case "binary":
      return "bytea"
  }
}

/** `DataType` of a stored column, from `format_type()` output; unknown types read as text. */
export const dataTypeOf = (sqlTypeName: string): DataType => {
  const base = sqlTypeName.replace(/\(.*\)$/, "").trim()
  switch (base) {
    case "bigint":
    case "integer":
    case "smallint":
      return "bigint"
    case "double precision":
    case "real":
      return "double"
    case "boolean":
      return "boolean"
    case "timestamp with time zone":
    case "timestamptz":
    case "timestamp without time zone":
      return "timestamptz"
    case "numeric":
      return "numeric"
    case "jsonb":
    case "json":
      return "jsonb"
    case "date":
      return "date"
    case "time":
    case "time without time zone":
      return "time"
    case "bytea":
      return "binary"
    default:
      return "text"
  }
}

// ---------------------------------------------------------------------------
// SQL builders (identifiers quoted, data always bound as parameters)
// ---------------------------------------------------------------------------

const columnList = (columns: ReadonlyArray<string>, alias?: string): string =>
  columns.map((c) => alias === undefined ? ident(c) : `${alias}.${ident(c)}`).join(", ")

const columnDefinition = (column: ColumnSchema, withConstraints: boolean): string =>
  `${ident(column.name)} ${sqlType(column.type)}${withConstraints && !column.nullable ? " NOT NULL" : ""}`

/**
 * Final tables have their NOT NULLs. Staging tables are unconstrained and UNLOGGED (no WAL:
 * scratch data), unless they may become the final table at commit (see `swapCandidate`): those
 * are LOGGED and get the NOT NULLs they start with, so that the commit need not scan them to
 * set them (a violation fails the write to staging instead, before anything is visible).
 * Columns added later never are NOT NULL: rows before them have none.
 */
const createTableSql = (
  schema: string,
  table: string,
  columns: ReadonlyArray<ColumnSchema>,
  options: { readonly staging: "unlogged" | "logged" | undefined }
): string =>
  `CREATE ${options.staging === "unlogged" ? "UNLOGGED " : ""}TABLE IF NOT EXISTS ${qualified(schema, table)} (${
    columns.map((c) => columnDefinition(c, options.staging !== "unlogged")).join(", ")
  })`

/** NOT NULL is never added to an existing table: its old rows would violate it. */
const addColumnsSql = (schema: string, table: string, columns: ReadonlyArray<ColumnSchema>): string =>
  `ALTER TABLE ${qualified(schema, table)} ${
    columns.map((c) => `ADD COLUMN IF NOT EXISTS ${columnDefinition(c, false)}`).join(", ")
  }`

/** One statement for a whole batch: the rows arrive as one JSON text parameter ($1). */
const insertFromJsonSql = (schema: string, table: string, columns: ReadonlyArray<ColumnSchema>): string =>
  `INSERT INTO ${qualified(schema, table)} (${columnList(columns.map((c) => c.name))}) SELECT ${
    columnList(columns.map((c) => c.name))
  } FROM json_to_recordset($1::json) AS t(${columns.map((c) => `${ident(c.name)} ${sqlType(c.type)}`).join(", ")})`

const copySql = (
  schema: string,
  table: string,
  stagingSchema: string,
  staging: string,
  columns: ReadonlyArray<string>
) =>
  `INSERT INTO ${qualified(schema, table)} (${columnList(columns)}) SELECT ${columnList(columns)} FROM ${
    qualified(stagingSchema, staging)
  }`

const deleteAllSql = (schema: string, table: string) => `DELETE FROM ${qualified(schema, table)}`

const createIndexSql = (schema: string, table: string, name: string, column: string, unique: boolean) =>
  `CREATE ${unique ? "UNIQUE " : ""}INDEX IF NOT EXISTS ${ident(name)} ON ${qualified(schema, table)} (${ident(column)})`

const dropTablesSql = (schema: string, tables: ReadonlyArray<string>) =>
  `DROP TABLE IF EXISTS ${tables.map((t) => qualified(schema, t)).join(", ")}`

const loadsColumns: ReadonlyArray<ColumnSchema> = [
  { name: "load_id", type: "text", nullable: false },
  { name: "resource", type: "text", nullable: false },
  { name: "started_at", type: "timestamptz", nullable: true },
  { name: "finished_at", type: "timestamptz", nullable: true },
  { name: "rows", type: "jsonb", nullable: true },
  { name: "status", type: "text", nullable: false },
  { name: "schema_version", type: "text", nullable: true }
]

const createVersionSql = (schema: string) =>
  `CREATE TABLE IF NOT EXISTS ${
    qualified(schema, versionTable)
  } (version_hash text PRIMARY KEY, resource text NOT NULL, schema jsonb NOT NULL, inserted_at timestamptz NOT NULL)`

const insertVersionSql = (schema: string) =>
  `INSERT INTO ${qualified(schema, versionTable)} (version_hash, resource, schema, inserted_at)
  VALUES ($1, $2, $3::jsonb, clock_timestamp()) ON CONFLICT (version_hash) DO NOTHING`

const createStateSql = (schema: string) =>
  `CREATE TABLE IF NOT EXISTS ${qualified(schema, stateTable)} (resource text PRIMARY KEY, state jsonb, load_id text, updated_at timestamptz)`

const insertLoadSql = (schema: string) =>
  `INSERT INTO ${qualified(schema, loadsTable)} (load_id, resource, started_at, finished_at, rows, status, schema_version)
  VALUES ($1, $2, $3::timestamptz, clock_timestamp(), $4::jsonb, 'committed', $5)`

const upsertStateSql = (schema: string) =>
  `INSERT INTO ${qualified(schema, stateTable)} (resource, state, load_id, updated_at)
  VALUES ($1, $2::jsonb, $3, clock_timestamp())
  ON CONFLICT (resource) DO UPDATE SET state = EXCLUDED.state, load_id = EXCLUDED.load_id, updated_at = EXCLUDED.updated_at`

const registerStagingSql = (stagingSchema: string) =>
  `INSERT INTO ${qualified(stagingSchema, registryTable)} (table_name, resource, load_id) VALUES ($1, $2, $3)
  ON CONFLICT (table_name) DO NOTHING`

const unregisterStagingSql = (stagingSchema: string) =>
  `DELETE FROM ${qualified(stagingSchema, registryTable)} WHERE resource = $1 AND load_id = $2`

const createRegistrySql = (stagingSchema: string) =>
  `CREATE TABLE IF NOT EXISTS ${
    qualified(stagingSchema, registryTable)
  } (table_name text PRIMARY KEY, resource text NOT NULL, load_id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`

/** Was some `_rc_id` staged more than once (the same record on two pages, or a merge key)? */
const duplicateIdsSql = (stagedRoot: string) =>
  `SELECT EXISTS (SELECT 1 FROM ${stagedRoot} GROUP BY ${ident(SystemColumns.id)} HAVING count(*) > 1) AS present`

const mergeWorkMemSql = "SET LOCAL work_mem = '64MB'"

/** Serializes DDL on one schema across sessions: concurrent `CREATE ... IF NOT EXISTS` can still collide. */
const lockSql = "SELECT pg_advisory_xact_lock(hashtext($1))"
const lockKey = (schema: string) => `effect-rest-connector:${schema}`

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

const schemaExistsSql = "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS present"
const tableExistsSql = "SELECT to_regclass($1) IS NOT NULL AS present"

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** unique_violation on a catalog, duplicate_schema, duplicate_table, duplicate_object. */
const isCatalogRace = (e: DestinationError): boolean =>
  /SQLSTATE (42P06|42P07|42710)\)/.test(e.message) || (/SQLSTATE 23505\)/.test(e.message) && /"pg_\w+_index"/.test(e.message))

/** The database's own message (and SQLSTATE); never statement parameters or connection strings. */
const describe = (u: unknown): string => {
  if (u instanceof SqlError) {
    return u.cause === undefined ? u.message : `${u.message}: ${describe(u.cause)}`
  }
  if (u instanceof DestinationError) return u.message
  if (u instanceof Error) {
    const code = "code" in u && typeof u.code === "string" ? ` (SQLSTATE ${u.code})` : ""
    return `${u.message}${code}`
  }
  return "unknown error"
}

const destinationError = (what: string, dataset: string, table?: string) => (cause: unknown): DestinationError =>
  cause instanceof DestinationError ? cause : new DestinationError({
    message: `${what} (dataset ${dataset}${table === undefined ? "" : `, table ${table}`}): ${describe(cause)}`,
    dataset,
    table,
    cause
  })

// ---------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------

interface StoredColumnInfo {
  readonly type: string
  readonly required: boolean
}

interface Catalog {
  readonly schemaExists: boolean
  /** table → columns in creation order */
  readonly tables: ReadonlyMap<string, ReadonlyMap<string, StoredColumnInfo>>
  readonly indexes: ReadonlySet<string>
}

/** Desired final table: staged and declared schemas merged, `_rc_seq` removed. */
interface TableSpec {
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

interface Ddl {
  readonly sql: string
  readonly table?: string | undefined
  /**
   * The `_rc_root_id` index of a child table: only a merge into an existing table uses it, so a
   * table created by this load gets it from the next load that merges into it.
   */
  readonly untilMerged?: boolean | undefined
}

/** Child tables are `<root>__<field>...`; `parent` says so too when the normalizer knows. */
const isChildOf = (root: string, table: string) => table.startsWith(`${root}__`)

/**
 * DDL that makes the catalog fit the specs. Indexes of the tables in `withoutIndexes` are left
 * out: a table created by this load gets them after its rows are in (one bulk index build is
 * much cheaper than maintaining the index row by row).
 */
const planDdl = (
  dataset: string,
  catalog: Catalog,
  specs: ReadonlyArray<TableSpec>,
  withoutIndexes: ReadonlySet<string> = new Set()
): ReadonlyArray<Ddl> => {
  const ddl: Array<Ddl> = []
  if (!catalog.schemaExists) ddl.push({ sql: `CREATE SCHEMA IF NOT EXISTS ${ident(dataset)}` })
  const loads = catalog.tables.get(loadsTable)
  if (loads === undefined) {
    ddl.push({ sql: createTableSql(dataset, loadsTable, loadsColumns, { staging: undefined }), table: loadsTable })
  } else {
    // Datasets written by older versions lack newer `_rc_loads` columns.
    const missing = loadsColumns.filter((c) => !loads.has(c.name))
    if (missing.length > 0) ddl.push({ sql: addColumnsSql(dataset, loadsTable, missing), table: loadsTable })
  }
  if (!catalog.tables.has(stateTable)) ddl.push({ sql: createStateSql(dataset), table: stateTable })
  if (!catalog.tables.has(versionTable)) ddl.push({ sql: createVersionSql(dataset), table: versionTable })
  for (const spec of specs) {
    const stored = catalog.tables.get(spec.name)
    if (stored === undefined) {
      ddl.push({ sql: createTableSql(dataset, spec.name, spec.columns, { staging: undefined }), table: spec.name })
    } else {
      const missing = spec.columns.filter((c) => !stored.has(c.name))
      if (missing.length > 0) ddl.push({ sql: addColumnsSql(dataset, spec.name, missing), table: spec.name })
    }
    if (withoutIndexes.has(spec.name)) continue
    const hasColumn = (name: string) => spec.columns.some((c) => c.name === name) || (stored?.has(name) ?? false)
    if (spec.idIndex === "unique" && !catalog.indexes.has(rootIndexName(spec.name))) {
      ddl.push({
        sql: createIndexSql(dataset, spec.name, rootIndexName(spec.name), SystemColumns.id, true),
        table: spec.name
      })
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
    if (
      spec.child && spec.rootIdIndex && hasColumn(SystemColumns.rootId) && !catalog.indexes.has(childIndexName(spec.name))
    ) {
      ddl.push({
        sql: createIndexSql(dataset, spec.name, childIndexName(spec.name), SystemColumns.rootId, false),
        table: spec.name,
        untilMerged: true
      })
    }
  }
  return ddl
}

/** Row count of a `pg` result (`.raw`); other drivers may not report one. */
const rowCountOf = (result: unknown): number | undefined =>
  typeof result === "object" && result !== null && "rowCount" in result && typeof result.rowCount === "number"
    ? result.rowCount
    : undefined

/** Rows per JSON parameter: bounds one statement's memory for very large batches. */
const maxRowsPerStatement = 50_000

// ---------------------------------------------------------------------------
// Merge strategies: set-based statements over the staging tables, run in the commit
// transaction. Plain INSERT ... ON CONFLICT / DELETE / UPDATE (no MERGE), so PGlite runs them too.
// ---------------------------------------------------------------------------

/** One statement of a commit; `counts` adds its row count to `rowsPerTable[table]`. */
interface Statement {
  readonly sql: string
  readonly params: ReadonlyArray<string>
  readonly table: string
  readonly what: string
  readonly counts: boolean
}

interface MergePlanInput {
  readonly dataset: string
  readonly stagingSchema: string
  readonly rootTable: string
  readonly root: StagedTable
  /** Staged child tables of the resource. */
  readonly children: ReadonlyArray<StagedTable>
  /** Stored child tables (after DDL) that have `_rc_root_id`. */
  readonly storedChildren: ReadonlyArray<string>
  /** Stored root columns (after DDL). */
  readonly finalRoot: ReadonlyMap<string, unknown>
  readonly primaryKey: ReadonlyArray<string>
  readonly merge: MergeOptions
  /** scd2 boundary: `_rc_valid_from` of new versions and `_rc_valid_to` of retired ones (ISO text). */
  readonly boundary: string
  /**
   * No `_rc_id` was staged twice (checked before planning): every staged root survives, so the
   * plan skips the DISTINCT ON sort, and children need no join back to their root's ordinal.
   */
  readonly uniqueIds: boolean
}

/** The validity columns of an scd2 load (dlt's defaults unless `validity_column_names`). */
const validityNames = (merge: MergeOptions) => ({
  from: merge.scd2?.validFrom ?? Scd2Columns.validFrom,
  to: merge.scd2?.validTo ?? Scd2Columns.validTo
})

/**
 * One root row per `_rc_id`: the first by `dedupSort` (dlt: "desc" keeps the highest value, "asc"
 * the lowest; rows without a value lose), ties and the default going to the last row of the load.
 */
const survivorsSql = (stagedRoot: string, root: StagedTable, dedupSort: MergeOptions["dedupSort"], uniqueIds: boolean) => {
  if (uniqueIds) return `SELECT * FROM ${stagedRoot}`
  const sort = dedupSort !== undefined && root.columns.has(dedupSort.column)
    ? `${ident(dedupSort.column)} ${dedupSort.order === "asc" ? "ASC" : "DESC"} NULLS LAST, `
    : ""
  return `SELECT DISTINCT ON (${ident(SystemColumns.id)}) * FROM ${stagedRoot} ORDER BY ${
    ident(SystemColumns.id)
  }, ${sort}${ident(SystemColumns.seq)} DESC NULLS LAST`
}

/** dlt's hard_delete test on a staged row: `IS TRUE` for a boolean column, else `IS NOT NULL`. */
const deletedCondition = (root: StagedTable, column: string | undefined) => {
  const found = column === undefined ? undefined : root.columns.get(column)
  if (found === undefined) return undefined
  const test = found.type === "boolean" ? "IS TRUE" : "IS NOT NULL"
  return (alias: string) => `${alias}.${ident(found.name)} ${test}`
}

/**
 * Final row `f` has the key of some staged row passing `filter` (NULL equals NULL). The staged
 * keys are made DISTINCT first: IS NOT DISTINCT FROM cannot hash-join, and merge keys are
 * usually few partitions. A key column absent on one side is NULL there.
 */
const keyMatchSql = (
  keys: ReadonlyArray<string>,
  stagedRoot: string,
  root: StagedTable,
  finalRoot: ReadonlyMap<string, unknown>,
  filter: string
) => {
  const staged = keys.filter((k) => root.columns.has(k))
  const equal = keys.map((k) => {
    const f = finalRoot.has(k) ? `f.${ident(k)}` : undefined
    const s = root.columns.has(k) ? `k.${ident(k)}` : undefined
    if (f !== undefined && s !== undefined) return `${f} IS NOT DISTINCT FROM ${s}`
    if (f !== undefined) return `${f} IS NULL`
    return s === undefined ? "TRUE" : `${s} IS NULL`
  })
  const distinct = `SELECT DISTINCT ${staged.length === 0 ? "1" : columnList(staged)} FROM ${stagedRoot} AS s WHERE ${filter}`
  return `EXISTS (SELECT 1 FROM (${distinct}) AS k WHERE ${equal.join(" AND ")})`
}

const planMerge = (input: MergePlanInput): ReadonlyArray<Statement> => {
  const { dataset, finalRoot, merge, root, rootTable, stagingSchema } = input
  const id = ident(SystemColumns.id)
  const seq = ident(SystemColumns.seq)
  const rootId = ident(SystemColumns.rootId)
  const final = qualified(dataset, rootTable)
  const stagedRoot = qualified(stagingSchema, root.staging)
  const scd2 = merge.strategy === "scd2"
  const survivors = survivorsSql(stagedRoot, root, merge.dedupSort, input.uniqueIds)
  // dlt applies hard_delete to every strategy but insert-only.
  const deleted = merge.strategy === "insert-only" ? undefined : deletedCondition(root, merge.hardDelete)
  const notDeleted = (alias: string) => deleted === undefined ? "TRUE" : `NOT (${deleted(alias)})`
  const validity = validityNames(merge)
  const rootColumns = [...root.columns.keys()].filter((c) =>
    c !== SystemColumns.seq && !(scd2 && (c === validity.from || c === validity.to))
  )
  const statement = (sql: string, table: string, what: string, counts = false, params: ReadonlyArray<string> = []) => ({
    sql,
    params,
    table,
    what,
    counts
  })

  /** Staged child rows of the surviving roots that pass `rootFilter` (on alias `s`). */
  const insertChildren = (child: StagedTable, rootFilter: string, rowFilter?: string) => {
    const columns = [...child.columns.keys()].filter((c) => c !== SystemColumns.seq)
    if (input.uniqueIds) {
      // One staged root per id: a child belongs to the root with its `_rc_root_id`.
      const filters = [
        ...(rootFilter === "TRUE" ? [] : [`c.${rootId} IN (SELECT s.${id} FROM ${stagedRoot} AS s WHERE ${rootFilter})`]),
        ...(rowFilter === undefined ? [] : [rowFilter])
      ]
      return statement(
        `INSERT INTO ${qualified(dataset, child.table)} (${columnList(columns)}) SELECT ${columnList(columns, "c")} FROM ${
          qualified(stagingSchema, child.staging)
        } AS c${filters.length === 0 ? "" : ` WHERE ${filters.join(" AND ")}`}`,
        child.table,
        "merging child rows",
        true
      )
    }
    // Same root id and same root ordinal: the children of that very duplicate.
    const parents = `SELECT s.${id}, s.${seq} FROM (${survivors}) AS s WHERE ${rootFilter}`
    return statement(
      `INSERT INTO ${qualified(dataset, child.table)} (${columnList(columns)}) SELECT ${
        columnList(columns, "c")
      } FROM ${qualified(stagingSchema, child.staging)} AS c JOIN (${parents}) AS r ON c.${rootId} = r.${id} AND c.${seq} = r.${seq}${
        rowFilter === undefined ? "" : ` WHERE ${rowFilter}`
      }`,
      child.table,
      "merging child rows",
      true
    )
  }
  const deleteChildren = (rootIds: string) =>
    input.storedChildren.map((child) =>
      statement(
        `DELETE FROM ${qualified(dataset, child)} WHERE ${rootId} IN (${rootIds})`,
        child,
        "deleting child rows of merged records"
      )
    )
  const insertRoots = (filter: string, conflict = "") =>
    statement(
      `INSERT INTO ${final} (${columnList(rootColumns)}) SELECT ${
        columnList(rootColumns, "s")
      } FROM (${survivors}) AS s WHERE ${filter}${conflict}`,
      rootTable,
      "merging rows",
      true
    )

  switch (merge.strategy) {
    case "upsert": {
      // Every stored column but the key: the new record replaces the old one whole.
      const update = [...finalRoot.keys()].filter((c) => c !== SystemColumns.id)
      return [
        // Children of every staged root go: survivors bring their own, hard deletes none.
        ...deleteChildren(`SELECT ${id} FROM ${stagedRoot}`),
        ...(deleted === undefined ? [] : [
          statement(
            `DELETE FROM ${final} WHERE ${id} IN (SELECT s.${id} FROM (${survivors}) AS s WHERE ${deleted("s")})`,
            rootTable,
            "deleting hard-deleted rows"
          )
        ]),
        insertRoots(
          notDeleted("s"),
          ` ON CONFLICT (${id}) DO ${
            update.length === 0
              ? "NOTHING"
              : `UPDATE SET ${update.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`).join(", ")}`
          }`
        ),
        ...input.children.map((child) => insertChildren(child, notDeleted("s")))
      ]
    }
    case "delete-insert": {
      // Staged rows delete by primary key (`_rc_id`) or merge key, hard-deleted ones included.
      const target = `f.${id} IN (SELECT ${id} FROM ${stagedRoot})${
        merge.mergeKey.length === 0 ? "" : ` OR ${keyMatchSql(merge.mergeKey, stagedRoot, root, finalRoot, "TRUE")}`
      }`
      return [
        ...deleteChildren(`SELECT f.${id} FROM ${final} AS f WHERE ${target}`),
        statement(`DELETE FROM ${final} AS f WHERE ${target}`, rootTable, "deleting merged rows"),
        insertRoots(notDeleted("s")),
        ...input.children.map((child) => insertChildren(child, notDeleted("s")))
      ]
    }
    case "insert-only": {
      const isNew = `NOT EXISTS (SELECT 1 FROM ${final} AS f WHERE f.${id} = s.${id})`
      // Children first: once the roots are in, "new" can no longer be told apart.
      return [...input.children.map((child) => insertChildren(child, isNew)), insertRoots(isNew)]
    }
    case "scd2": {
      const from = ident(validity.from)
      const to = ident(validity.to)
      const boundary = [merge.scd2?.boundary ?? input.boundary]
      // Active versions have NULL or dlt's `active_record_timestamp` (an ISO string we made
      // with toISOString: safe as a literal) as their `valid_to`.
      const activeTo = merge.scd2?.activeTo === undefined ? "NULL" : `'${merge.scd2.activeTo}'::timestamptz`
      const isActive = (alias: string) => merge.scd2?.activeTo === undefined ? `${alias}.${to} IS NULL` : `${alias}.${to} = ${activeTo}`
      const retire = (condition: string, what: string) =>
        statement(
          `UPDATE ${final} AS f SET ${to} = $1::timestamptz WHERE ${isActive("f")} AND (${condition})`,
          rootTable,
          what,
          false,
          boundary
        )
      const hardDeletes = deleted === undefined ? [] : [
        retire(
          `f.${id} IN (SELECT s.${id} FROM ${stagedRoot} AS s WHERE ${deleted("s")})${
            // The id is a content hash, so the primary key is what names the deleted record.
            input.primaryKey.length === 0
              ? ""
              : ` OR ${keyMatchSql(input.primaryKey, stagedRoot, root, finalRoot, deleted("s"))}`
          }`,
          "retiring hard-deleted rows"
        )
      ]
      // Absent from the extract: retired; with a merge key only within the staged partitions (dlt).
      const absent = retire(
        `NOT EXISTS (SELECT 1 FROM ${stagedRoot} AS s WHERE s.${id} = f.${id})${
          merge.mergeKey.length === 0 ? "" : ` AND ${keyMatchSql(merge.mergeKey, stagedRoot, root, finalRoot, "TRUE")}`
        }`,
        "retiring absent rows"
      )
      const activeSame = `SELECT 1 FROM ${final} AS f WHERE f.${id} = s.${id} AND ${isActive("f")}`
      const isNewVersion = `${notDeleted("s")} AND NOT EXISTS (${activeSame})`
      return [
        ...hardDeletes,
        absent,
        // Children first (same "new version" test); a re-activated version already has its
        // children (same ids), and children of versions are never deleted.
        ...input.children.map((child) =>
          insertChildren(
            child,
            isNewVersion,
            `NOT EXISTS (SELECT 1 FROM ${qualified(dataset, child.table)} AS x WHERE x.${id} = c.${id})`
          )
        ),
        statement(
          `INSERT INTO ${final} (${columnList(rootColumns)}, ${from}, ${to}) SELECT ${
            columnList(rootColumns, "s")
          }, $1::timestamptz, ${activeTo} FROM (${survivors}) AS s WHERE ${isNewVersion}`,
          rootTable,
          "inserting new versions",
          true,
          boundary
        )
      ]
    }
  }
}

// ---------------------------------------------------------------------------
// Schema version
// ---------------------------------------------------------------------------

export interface SchemaVersion {
  readonly hash: string
  /** The hashed document, stored in `_rc_version.schema`. */
  readonly json: string
}

/** Stable hash of a resource's stored tables: names sorted, columns in stored order. */
export const schemaVersionOf = (
  resource: string,
  tables: ReadonlyArray<{
    readonly name: string
    readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string; readonly nullable: boolean }>
  }>
): SchemaVersion => {
  const sorted = [...tables].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  const json = JSON.stringify({
    resource,
    tables: sorted.map((t) => ({
      name: t.name,
      columns: t.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable }))
    }))
  })
  return { hash: createHash("sha256").update(json).digest("base64url"), json }
}

// ---------------------------------------------------------------------------
// Destination
// ---------------------------------------------------------------------------

interface StagedTable {
  readonly table: string
  readonly staging: string
  readonly parent: string | undefined
  /** Staging columns (with `_rc_seq`), in creation order. */
  readonly columns: Map<string, ColumnSchema>
  rows: number
  /**
   * The final table did not exist when staging began, and the load's disposition can take the
   * staging table whole: if it still does not exist at commit, the staging table is renamed
   * into place instead of copied (see `commitWork`). Such staging tables are LOGGED.
   */
  readonly swapCandidate: boolean
}

const seqColumn: ColumnSchema = { name: SystemColumns.seq, type: "bigint", nullable: true }

/** Rows of one table waiting for their write to staging. */
type Pending =
  | {
    readonly _tag: "Encoded"
    readonly entry: StagedTable
    readonly columns: ReadonlyArray<ColumnSchema>
    /** How many columns the table's schema had (they only grow). */
    readonly schemaColumns: number
    readonly encoder: RowsEncoder
  }
  | {
    readonly _tag: "Rows"
    readonly entry: StagedTable
    readonly columns: ReadonlyArray<ColumnSchema>
    readonly schemaColumns: number
    readonly rows: Array<Row>
  }

/** COPY text waiting per table before it is sent (one COPY per ~1 MiB). */
const flushBytes = 1 << 20

/** NULL `_rc_valid_to` marks the active version (dlt's default). */
const validityColumns = (merge: MergeOptions): ReadonlyArray<ColumnSchema> => [
  { name: validityNames(merge).from, type: "timestamptz", nullable: true },
  { name: validityNames(merge).to, type: "timestamptz", nullable: true }
]

export interface MakeOptions {
  /**
   * Bulk-loads staging rows with COPY over its own connections (a Postgres server); without
   * it rows go in as one `INSERT ... SELECT FROM json_to_recordset` per table and batch, which
   * also works on the embedded database. Final tables are always written through SqlClient.
   */
  readonly copy?: CopyWriter | undefined
}

export const make: Effect.Effect<Context.Tag.Service<Destination>, never, SqlClient.SqlClient> = Effect.suspend(() =>
  makeWith({})
)

export const makeWith = (
  makeOptions: MakeOptions
): Effect.Effect<Context.Tag.Service<Destination>, never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    /** Runs one statement, mapping its failure to a `DestinationError` that names dataset and table. */
    const exec = (text: string, params: ReadonlyArray<string>, what: string, dataset: string, table?: string) =>
      sql.unsafe(text, params).raw.pipe(Effect.mapError(destinationError(what, dataset, table)))

    const query = <A extends object>(
      text: string,
      params: ReadonlyArray<string>,
      what: string,
      dataset: string
    ) =>
      // withoutTransform: a client configured with name transforms must not rename catalog columns.
      sql.unsafe<A>(text, params).withoutTransform.pipe(Effect.mapError(destinationError(what, dataset)))

    const existsQuery = (text: string, param: string, what: string, dataset: string) =>
      query<{ readonly present: boolean }>(text, [param], what, dataset).pipe(
        Effect.map((rows) => rows[0]?.present === true)
      )

    /**
     * A transaction as one unit of work. COMMIT failures surface as defects (STYLE pitfall 8), so
     * every non-interruption cause becomes a `DestinationError`.
     */
    const unitOfWork = <A>(what: string, dataset: string, self: Effect.Effect<A, DestinationError | SqlError>) =>
      sql.withTransaction(self).pipe(
        Effect.catchAllCause((cause) =>
          Cause.isInterruptedOnly(cause)
            ? Effect.interrupt
            : Effect.fail(destinationError(what, dataset)(Cause.squash(cause)))
        ),
        // `CREATE ... IF NOT EXISTS` can still collide with another session's fresh commit:
        // a session keeps a stale "does not exist" in its catalog cache until its next
        // transaction. The transaction rolled back whole, so running it again is safe.
        Effect.retry({ times: 2, while: isCatalogRace })
      )

    const readCatalog = (dataset: string): Effect.Effect<Catalog, DestinationError> =>
      Effect.gen(function*() {
        const columns = yield* query<{
          readonly tname: string
          readonly cname: string
          readonly ctype: string
          readonly required: boolean
        }>(catalogColumnsSql, [dataset], "reading the catalog", dataset)
        const tables = new Map<string, Map<string, StoredColumnInfo>>()
        for (const row of columns) {
          let table = tables.get(row.tname)
          if (table === undefined) {
            table = new Map()
            tables.set(row.tname, table)
          }
          table.set(row.cname, { type: row.ctype, required: row.required })
        }
        const schemaExists = tables.size > 0 ||
          (yield* existsQuery(schemaExistsSql, dataset, "reading the catalog", dataset))
        const indexes = schemaExists
          ? yield* query<{ readonly iname: string }>(catalogIndexesSql, [dataset], "reading the catalog", dataset)
          : []
        return { schemaExists, tables, indexes: new Set(indexes.map((r) => r.iname)) }
      })

    const storedTables = (dataset: string): Effect.Effect<ReadonlyArray<TableSchema>, DestinationError> =>
      readCatalog(dataset).pipe(
        Effect.map((catalog) => {
          const names = [...catalog.tables.keys()].filter((t) => !systemTables.has(t))
          return names.map((name): TableSchema => ({
            name,
            parent: parentOf(name, catalog.tables),
            columns: [...(catalog.tables.get(name) ?? new Map<string, StoredColumnInfo>()).entries()].map((
              [column, info]
            ) => ({ name: column, type: dataTypeOf(info.type), nullable: !info.required }))
          }))
        }),
        Effect.withSpan("Destination.storedTables", { attributes: { dataset } })
      )

    const loadState = (dataset: string, resource: string): Effect.Effect<unknown, DestinationError> =>
      Effect.gen(function*() {
        const what = "reading the resource state"
        const present = yield* existsQuery(tableExistsSql, qualified(dataset, stateTable), what, dataset)
        if (!present) return undefined
        // state::text: parse ourselves so a client's JSON name transforms never touch user state.
        const rows = yield* query<{ readonly state: string | null }>(
          `SELECT state::text AS state FROM ${qualified(dataset, stateTable)} WHERE resource = $1`,
          [resource],
          what,
          dataset
        )
        const text = rows[0]?.state
        if (text === undefined || text === null) return undefined
        return yield* Effect.try({
          try: (): unknown => JSON.parse(text),
          catch: destinationError(what, dataset, stateTable)
        })
      }).pipe(Effect.withSpan("Destination.loadState", { attributes: { dataset, resource } }))

    /** Drops the registered staging tables of `resource` (of one load, or of every load). */
    const dropStaging = (dataset: string, resource: string, loadId: string | undefined) =>
      Effect.gen(function*() {
        const stagingSchema = stagingSchemaName(dataset)
        const what = "dropping staging tables"
        const present = yield* existsQuery(tableExistsSql, qualified(stagingSchema, registryTable), what, dataset)
        if (!present) return
        const filter = loadId === undefined ? "resource = $1" : "resource = $1 AND load_id = $2"
        const params = loadId === undefined ? [resource] : [resource, loadId]
        yield* unitOfWork(
          what,
          dataset,
          Effect.gen(function*() {
            const rows = yield* query<{ readonly tname: string }>(
              `SELECT table_name AS tname FROM ${qualified(stagingSchema, registryTable)} WHERE ${filter}`,
              params,
              what,
              dataset
            )
            if (rows.length === 0) return
            yield* exec(dropTablesSql(stagingSchema, rows.map((r) => r.tname)), [], what, dataset)
            yield* exec(`DELETE FROM ${qualified(stagingSchema, registryTable)} WHERE ${filter}`, params, what, dataset)
          })
        )
      })

    const startLoad = (options: StartLoadOptions): Effect.Effect<ResourceLoad, DestinationError, Scope> =>
      Effect.gen(function*() {
        const { dataset, loadId, resource, rootTable } = options
        const stagingKey = options.stagingKey ?? resource
        // Background COPYs live as long as the load: abandoning it interrupts them.
        const loadScope = yield* Effect.scope
        const isMerge = options.disposition === "merge"
        // No strategy given: upsert, what merge did before strategies existed.
        const merge: MergeOptions = options.merge ?? { strategy: "upsert", mergeKey: [] }
        const stagingSchema = stagingSchemaName(dataset)
        // Leftovers of killed runs (and of an earlier attempt with this load id) would add stale rows.
        yield* dropStaging(dataset, stagingKey, undefined)

        const staged = new Map<string, StagedTable>()
        // Whether a staged table may become its final table whole (when that does not exist
        // yet): every row of it goes in as it is. Not so for scd2 (validity columns, versions)
        // or hard deletes (flagged rows stay out).
        const swappable = !isMerge || (merge.strategy !== "scd2" &&
          (merge.hardDelete === undefined || merge.strategy === "insert-only"))
        let stagingReady = false
        let status: "open" | "committed" = "open"
        const lock = yield* Effect.makeSemaphore(1)

        yield* Effect.addFinalizer(() =>
          status === "committed" || !stagingReady
            ? Effect.void
            : dropStaging(dataset, stagingKey, loadId).pipe(Effect.timeout("30 seconds"), Effect.ignore)
        )

        const ensureStagingSchema = Effect.suspend(() =>
          stagingReady ? Effect.void : unitOfWork(
            "creating the staging schema",
            dataset,
            Effect.gen(function*() {
              const what = "creating the staging schema"
              yield* exec(lockSql, [lockKey(stagingSchema)], what, dataset)
              yield* exec(`CREATE SCHEMA IF NOT EXISTS ${ident(stagingSchema)}`, [], what, dataset)
              yield* exec(createRegistrySql(stagingSchema), [], what, dataset)
            })
          ).pipe(Effect.tap(() => {
            stagingReady = true
          }))
        )

        /** The staging table of `schema`, created or widened to all of its columns. */
        const ensureStagingTable = (schema: TableSchema): Effect.Effect<StagedTable, DestinationError> => {
          // Nearly every page: the table exists with every column already.
          const existing = staged.get(schema.name)
          if (existing !== undefined && schema.columns.every((c) => existing.columns.has(c.name))) return Effect.succeed(existing)
          return createOrWidenStagingTable(schema)
        }

        const createOrWidenStagingTable = (schema: TableSchema) =>
          Effect.gen(function*() {
            const wanted = schema.columns.some((c) => c.name === SystemColumns.seq)
              ? schema.columns
              : [...schema.columns, seqColumn]
            const existing = staged.get(schema.name)
            if (existing === undefined) {
              yield* ensureStagingSchema
              const staging = stagingTableName(schema.name, loadId, stagingKey)
              const what = "creating a staging table"
              // Registered first: a run killed right after still finds the table to clean up.
              yield* exec(registerStagingSql(stagingSchema), [staging, stagingKey, loadId], what, dataset, schema.name)
              const swapCandidate = swappable &&
                !(yield* existsQuery(tableExistsSql, qualified(dataset, schema.name), what, dataset))
              const create = createTableSql(stagingSchema, staging, wanted, {
                staging: swapCandidate ? "logged" : "unlogged"
              })
              yield* exec(create, [], what, dataset, schema.name)
              const entry: StagedTable = {
                table: schema.name,
                staging,
                parent: schema.parent,
                columns: new Map(wanted.map((c) => [c.name, c])),
                rows: 0,
                swapCandidate
              }
              staged.set(schema.name, entry)
              return entry
            }
            const missing = wanted.filter((c) => !existing.columns.has(c.name))
            if (missing.length > 0) {
              yield* exec(
                addColumnsSql(stagingSchema, existing.staging, missing),
                [],
                "adding staging columns",
                dataset,
                schema.name
              )
              for (const c of missing) existing.columns.set(c.name, c)
            }
            return existing
          })

        // Rows wait per table until there are enough for one write to staging: as COPY text on a
        // server (encoded as they arrive, so only bytes wait), as row objects for the INSERT on
        // the embedded database. Everything that waits is written before the commit.
        // Per page, so no `Effect.gen` here: a generator closure made per call keeps the rows it
        // captures alive through young-generation GCs (see `Paginator.next`).
        const copyWriter = makeOptions.copy
        const pending = new Map<string, Pending>()
        const flushRows = Math.max(1, options.batchRows ?? 1000)

        const writeError = (table: string) => (e: { readonly message: string }) =>
          new DestinationError({ message: `writing rows to staging: ${e.message}`, dataset, table })

        const insertJson = (entry: StagedTable, columns: ReadonlyArray<ColumnSchema>, rows: ReadonlyArray<Row>) => {
          const text = insertFromJsonSql(stagingSchema, entry.staging, columns)
          const chunks: Array<ReadonlyArray<Row>> = []
          for (let i = 0; i < rows.length; i += maxRowsPerStatement) {
            chunks.push(rows.length <= maxRowsPerStatement ? rows : rows.slice(i, i + maxRowsPerStatement))
          }
          return Effect.forEach(
            chunks,
            // JSON text, not a JS array (pitfall 6); Dates serialize to ISO strings.
            (chunk) => exec(text, [JSON.stringify(chunk)], "writing rows to staging", dataset, entry.table),
            { discard: true }
          )
        }

        /** COPYs in flight, per table (at most one each). */
        const sending = new Map<string, Fiber.RuntimeFiber<void, DestinationError>>()

        /** Waits for the table's COPY in flight, if any (its failure is the caller's). */
        const settle = (table: string): Effect.Effect<void, DestinationError> =>
          Effect.suspend(() => {
            const fiber = sending.get(table)
            if (fiber === undefined) return Effect.void
            sending.delete(table)
            return Fiber.join(fiber)
          })

        /** Writes what waits for one table to staging. */
        const flushTable = (table: string): Effect.Effect<void, DestinationError> =>
          Effect.suspend(() => {
            const waiting = pending.get(table)
            if (waiting === undefined) return Effect.void
            pending.delete(table)
            const counted = Effect.sync(() => {
              waiting.entry.rows += waiting._tag === "Encoded" ? waiting.encoder.rows : waiting.rows.length
            })
            if (waiting._tag === "Encoded" && copyWriter !== undefined) {
              // The COPY runs in the background while pages keep coming (the server parses it on
              // its own core); one per table at a time, and every one is waited for before the
              // commit, so a failure still fails the load.
              const send = copyWriter.send(stagingSchema, waiting.entry.staging, waiting.encoder).pipe(
                Effect.mapError(writeError(table)),
                Effect.zipRight(counted)
              )
              return Effect.zipRight(
                settle(table),
                Effect.flatMap(Effect.forkIn(send, loadScope), (fiber) =>
                  Effect.sync(() => {
                    sending.set(table, fiber)
                  }))
              )
            }
            if (waiting._tag === "Rows") return Effect.zipRight(insertJson(waiting.entry, waiting.columns, waiting.rows), counted)
            return Effect.void
          })

        /** Everything waiting is sent, and every COPY in flight has finished. */
        const flushAll = Effect.zipRight(
          Effect.suspend(() => Effect.forEach([...pending.keys()], flushTable, { discard: true })),
          Effect.suspend(() => Effect.forEach([...sending.keys()], settle, { discard: true }))
        )

        /** The staging columns a batch of `schema` writes, in staging order. */
        const columnsFor = (entry: StagedTable, schema: TableSchema): ReadonlyArray<ColumnSchema> =>
          [...entry.columns.values()].filter((c) => schema.columns.some((s) => s.name === c.name) || c.name === SystemColumns.seq)

        const sameNames = (a: ReadonlyArray<ColumnSchema>, b: ReadonlyArray<ColumnSchema>) =>
          a.length === b.length && a.every((c, i) => c.name === b[i].name)

        /**
         * Adds rows to what waits for `entry`, now (no Effect): true when enough waits for a
         * write. The caller has made sure that what waits has the same columns.
         */
        const appendNow = (
          entry: StagedTable,
          schema: TableSchema,
          rows: ReadonlyArray<Row>
        ): Either.Either<boolean, DestinationError> => {
          const table = entry.table
          const waiting = pending.get(table)
          // The schema's columns only grow: the same count means the same columns.
          const columns = waiting !== undefined && waiting.schemaColumns === schema.columns.length
            ? waiting.columns
            : columnsFor(entry, schema)
          if (copyWriter === undefined) {
            if (waiting !== undefined && waiting._tag === "Rows") {
              for (const row of rows) waiting.rows.push(row)
              pending.set(table, { ...waiting, columns, schemaColumns: schema.columns.length })
              return Either.right(waiting.rows.length >= flushRows)
            }
            pending.set(table, { _tag: "Rows", entry, columns, schemaColumns: schema.columns.length, rows: [...rows] })
            return Either.right(rows.length >= flushRows)
          }
          let current = waiting
          if (current !== undefined && current._tag === "Encoded" && current.schemaColumns !== schema.columns.length) {
            // Same column names (the caller checked), a schema that grew: remember its size.
            current = { ...current, schemaColumns: schema.columns.length }
            pending.set(table, current)
          }
          if (current === undefined || current._tag !== "Encoded") {
            current = {
              _tag: "Encoded",
              entry,
              columns,
              schemaColumns: schema.columns.length,
              encoder: copyWriter.encoder(columns.map((c) => c.name), columns.map((c) => kindOfDataType(c.type)))
            }
            pending.set(table, current)
          }
          try {
            current.encoder.append(rows)
          } catch (e) {
            pending.delete(table)
            return Either.left(writeError(table)({ message: Copy.describeFailure(e) }))
          }
          return Either.right(current.encoder.bytes >= flushBytes)
        }

        const addRows = (entry: StagedTable, schema: TableSchema, rows: ReadonlyArray<Row>): Effect.Effect<void, DestinationError> => {
          const table = entry.table
          const waiting = pending.get(table)
          // COPY text names its columns: rows of a wider column list start a COPY of their own.
          const before = copyWriter !== undefined && waiting !== undefined && waiting._tag === "Encoded" &&
              waiting.schemaColumns !== schema.columns.length && !sameNames(waiting.columns, columnsFor(entry, schema))
            ? flushTable(table)
            : Effect.void
          return Effect.zipRight(
            before,
            Effect.suspend(() => {
              const due = appendNow(entry, schema, rows)
              if (Either.isLeft(due)) return Effect.fail(due.left)
              return due.right ? flushTable(table) : Effect.void
            })
          )
        }

        const ensureOpen = (what: string) =>
          status === "open"
            ? Effect.void
            : Effect.fail(
              new DestinationError({ message: `${what}: the load of ${resource} is already committed`, dataset })
            )

        const writeTable = (schemas: ReadonlyMap<string, TableSchema>, table: string, rows: ReadonlyArray<Row>) => {
          if (rows.length === 0) return Effect.void
          const schema = schemas.get(table)
          if (schema === undefined) {
            return Effect.fail(
              new DestinationError({ message: `write: batch has rows for table ${table} but no schema for it`, dataset, table })
            )
          }
          return Effect.flatMap(ensureStagingTable(schema), (entry) => addRows(entry, schema, rows))
        }

        // Writes hold the load's lock (one writer at a time), except the common case below.
        let busy = false
        const locked = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
          lock.withPermits(1)(Effect.suspend(() => {
            busy = true
            return Effect.ensuring(effect, Effect.sync(() => {
              busy = false
            }))
          }))

        /**
         * The common case without the lock (taking it is ~30 Effect operations, on every page):
         * nobody holds it, and every table of the batch has its staging table with all of its
         * columns, and waiting rows of the same columns. Then the rows are added at once, all in
         * one synchronous step; only a write that is due takes the lock. Undefined otherwise.
         */
        const writeNow = (batch: Batch): Effect.Effect<void, DestinationError> | undefined => {
          if (busy || status !== "open") return undefined
          const ready: Array<readonly [StagedTable, TableSchema, ReadonlyArray<Row>]> = []
          for (const [table, rows] of batch.rows) {
            if (rows.length === 0) continue
            const schema = batch.tables.find((t) => t.name === table)
            const entry = staged.get(table)
            if (schema === undefined || entry === undefined || !schema.columns.every((c) => entry.columns.has(c.name))) return undefined
            const waiting = pending.get(table)
            if (waiting !== undefined && waiting.schemaColumns !== schema.columns.length) return undefined
            ready.push([entry, schema, rows])
          }
          const due: Array<string> = []
          for (const [entry, schema, rows] of ready) {
            const added = appendNow(entry, schema, rows)
            if (Either.isLeft(added)) return Effect.fail(added.left)
            if (added.right) due.push(entry.table)
          }
          return due.length === 0 ? Effect.void : locked(Effect.forEach(due, flushTable, { discard: true }))
        }

        const write = (batch: Batch): Effect.Effect<void, DestinationError> =>
          Effect.suspend(() =>
            writeNow(batch) ?? locked(Effect.zipRight(
              ensureOpen("write"),
              Effect.suspend(() => {
                const schemas = new Map(batch.tables.map((t) => [t.name, t]))
                return Effect.forEach(batch.rows, ([table, rows]) => writeTable(schemas, table, rows), { discard: true })
              })
            ))
          )

        /** Final tables this load must make exist: declared ones plus everything staged. */
        const tableSpecs = (): ReadonlyArray<TableSpec> => {
          const specs = new Map<string, { columns: Map<string, ColumnSchema>; child: boolean }>()
          const add = (name: string, parent: string | undefined, columns: Iterable<ColumnSchema>) => {
            let spec = specs.get(name)
            if (spec === undefined) {
              spec = { columns: new Map(), child: parent !== undefined || isChildOf(rootTable, name) }
              specs.set(name, spec)
            }
            for (const c of columns) {
              if (c.name !== SystemColumns.seq && !spec.columns.has(c.name)) spec.columns.set(c.name, c)
            }
          }
          for (const t of options.declaredTables ?? []) add(t.name, t.parent, t.columns)
          for (const t of staged.values()) add(t.table, t.parent, t.columns.values())
          if (isMerge && merge.strategy === "scd2") add(rootTable, undefined, validityColumns(merge))
          return [...specs.entries()].map(([name, spec]) => ({
            name,
            columns: [...spec.columns.values()],
            child: spec.child,
            idIndex: !isMerge || name !== rootTable ? "none" : merge.strategy === "scd2" ? "plain" : "unique",
            conflictTarget: isMerge && name === rootTable && merge.strategy === "upsert",
            rootIdIndex: isMerge && spec.child
          }))
        }

        /** Was some root `_rc_id` staged more than once? (Asked at most once per commit.) */
        let duplicateIds: boolean | undefined
        const hasDuplicateIds = (root: StagedTable) =>
          duplicateIds !== undefined ? Effect.succeed(duplicateIds) : query<{ readonly present: boolean }>(
            duplicateIdsSql(qualified(stagingSchema, root.staging)),
            [],
            "merging rows",
            dataset
          ).pipe(Effect.map((rows) => {
            duplicateIds = rows[0]?.present === true
            return duplicateIds
          }))

        /**
         * The staged tables that become their final tables whole (renamed into place, no copy):
         * swap candidates whose final table still does not exist. A merge swaps all of the
         * resource's tables or none: only when none of them exists and no `_rc_id` was staged twice.
         */
        const chooseSwaps = (catalog: Catalog) =>
          Effect.gen(function*() {
            const fresh = [...staged.values()].filter((t) => t.swapCandidate && !catalog.tables.has(t.table))
            if (!isMerge) return new Set(fresh.map((t) => t.table))
            const root = staged.get(rootTable)
            const untouched = root !== undefined && fresh.length === staged.size &&
              ![...catalog.tables.keys()].some((t) => t === rootTable || isChildOf(rootTable, t))
            if (!untouched) return new Set<string>()
            // The root's unique `_rc_id` index, built on the staging table: if it builds, no id
            // was staged twice (one pass, where a GROUP BY and then the index were two), and it
            // moves with the table into place. If it fails (a duplicate, or a name another load
            // holds), the savepoint undoes it and the rows are copied instead.
            const indexed = yield* sql.withTransaction(
              exec(
                `CREATE UNIQUE INDEX ${ident(rootIndexName(rootTable))} ON ${qualified(stagingSchema, root.staging)} (${
                  ident(SystemColumns.id)
                })`,
                [],
                "checking the staged ids",
                dataset,
                rootTable
              )
            ).pipe(Effect.as(true), Effect.orElseSucceed(() => false))
            if (!indexed) return new Set<string>()
            duplicateIds = false
            return new Set(fresh.map((t) => t.table))
          })

        /** Makes a staging table the final table: the final's columns and NOT NULLs, then renamed into the dataset. */
        const swapIn = (entry: StagedTable, spec: TableSpec | undefined) =>
          Effect.gen(function*() {
            const what = "moving staged rows into place"
            const changes = [
              ...(entry.columns.has(SystemColumns.seq) ? [`DROP COLUMN ${ident(SystemColumns.seq)}`] : []),
              // Declared columns that got no value in this load.
              ...(spec?.columns ?? []).filter((c) => !entry.columns.has(c.name)).map((c) =>
                `ADD COLUMN ${columnDefinition(c, false)}`
              ),
              // All in one statement: one scan of the table checks every NOT NULL.
              ...(spec?.columns ?? []).filter((c) => !c.nullable).map((c) => `ALTER COLUMN ${ident(c.name)} SET NOT NULL`)
            ]
            const staging = qualified(stagingSchema, entry.staging)
            if (changes.length > 0) yield* exec(`ALTER TABLE ${staging} ${changes.join(", ")}`, [], what, dataset, entry.table)
            // Into the dataset under its unique staging name first; the rename fails (42P07, and
            // the commit is retried, then copying) if another session created the table meanwhile.
            yield* exec(`ALTER TABLE ${staging} SET SCHEMA ${ident(dataset)}`, [], what, dataset, entry.table)
            yield* exec(
              `ALTER TABLE ${qualified(dataset, entry.staging)} RENAME TO ${ident(entry.table)}`,
              [],
              what,
              dataset,
              entry.table
            )
          })

        /** `newTables`: created empty by this load's preparation, or about to be; their indexes come after the rows. */
        const commitWork = (startedAt: Date, state: unknown, newTables: ReadonlySet<string>) =>
          Effect.gen(function*() {
            const allSpecs = tableSpecs()
            duplicateIds = undefined
            let catalog = yield* readCatalog(dataset)
            const swaps = yield* chooseSwaps(catalog)
            const specs = allSpecs.filter((t) => !swaps.has(t.name))
            // Upsert's ON CONFLICT needs its index before any row goes in.
            const withoutIndexes = new Set([...newTables].filter((t) => !specs.some((s) => s.name === t && s.conflictTarget)))
            if (planDdl(dataset, catalog, specs, withoutIndexes).length > 0) {
              // Lock, then re-plan: another session may have created the same objects meanwhile.
              yield* exec(lockSql, [lockKey(dataset)], "locking the dataset", dataset)
              catalog = yield* readCatalog(dataset)
              for (const ddl of planDdl(dataset, catalog, specs, withoutIndexes)) {
                yield* exec(ddl.sql, [], "creating tables", dataset, ddl.table)
              }
              catalog = yield* readCatalog(dataset)
            }

            const rowsPerTable: Record<string, number> = {}
            for (const spec of allSpecs) rowsPerTable[spec.name] = 0
            for (const table of swaps) {
              const entry = staged.get(table)
              if (entry === undefined) continue
              yield* swapIn(entry, allSpecs.find((t) => t.name === table))
              rowsPerTable[table] = entry.rows
            }
            /** Staged tables whose rows are still to be copied into their final tables. */
            const toCopy = [...staged.values()].filter((t) => !swaps.has(t.table))
            const finalColumns = (entry: StagedTable) =>
              [...entry.columns.keys()].filter((c) => c !== SystemColumns.seq)
            const copyFromStaging = (entry: StagedTable) =>
              copySql(dataset, entry.table, stagingSchema, entry.staging, finalColumns(entry))
            const copy = (entry: StagedTable, text: string, what: string) =>
              exec(text, [], what, dataset, entry.table).pipe(
                Effect.map((result) => {
                  rowsPerTable[entry.table] = (rowsPerTable[entry.table] ?? 0) + (rowCountOf(result) ?? entry.rows)
                })
              )
            // Child tables of the resource as stored now, including ones that got no rows this time.
            const storedChildren = [...catalog.tables.keys()].filter((t) => isChildOf(rootTable, t))

            switch (options.disposition) {
              case "append": {
                for (const entry of toCopy) {
                  yield* copy(entry, copyFromStaging(entry), "appending rows")
                }
                break
              }
              case "replace": {
                // DELETE, not TRUNCATE: readers keep seeing the old rows until COMMIT.
                const cleared = new Set([rootTable, ...storedChildren, ...staged.keys()])
                for (const table of cleared) {
                  if (catalog.tables.has(table)) {
                    yield* exec(deleteAllSql(dataset, table), [], "replacing rows", dataset, table)
                  }
                }
                for (const entry of toCopy) {
                  yield* copy(entry, copyFromStaging(entry), "replacing rows")
                }
                break
              }
              case "merge": {
                const root = staged.get(rootTable)
                if (root === undefined || swaps.size > 0) break
                // DISTINCT ON sorts the whole load; the 4 MB default spills it to disk. Reset at COMMIT.
                yield* exec(mergeWorkMemSql, [], "merging rows", dataset)
                const statements = planMerge({
                  uniqueIds: !(yield* hasDuplicateIds(root)),
                  dataset,
                  stagingSchema,
                  rootTable,
                  root,
                  children: [...staged.values()].filter((t) => t.table !== rootTable),
                  storedChildren: storedChildren.filter((t) =>
                    catalog.tables.get(t)?.has(SystemColumns.rootId) === true
                  ),
                  finalRoot: catalog.tables.get(rootTable) ?? new Map<string, StoredColumnInfo>(),
                  primaryKey: options.primaryKey,
                  merge,
                  boundary: startedAt.toISOString()
                })
                for (const statement of statements) {
                  const result = yield* exec(statement.sql, statement.params, statement.what, dataset, statement.table)
                  if (statement.counts) {
                    rowsPerTable[statement.table] = (rowsPerTable[statement.table] ?? 0) + (rowCountOf(result) ?? 0)
                  }
                }
                break
              }
            }

            if (swaps.size > 0) catalog = yield* readCatalog(dataset)
            // Indexes of the tables this load created, built once over their rows. No dataset
            // lock: the tables are this resource's own, and a clash rolls back and retries.
            // Children's `_rc_root_id` indexes wait for the first merge into them (the next
            // load's preparation builds them before its merge): on 1.35 M rows they were half
            // of a first load's commit, for a merge that may never come.
            for (const ddl of planDdl(dataset, catalog, allSpecs)) {
              if (ddl.untilMerged === true) continue
              if (ddl.table !== undefined && (newTables.has(ddl.table) || swaps.has(ddl.table))) {
                yield* exec(ddl.sql, [], "indexing new tables", dataset, ddl.table)
              }
            }

            // The resource's tables as stored now (DDL above only ever adds to them).
            const ownTables = new Set([rootTable, ...storedChildren, ...allSpecs.map((t) => t.name)])
            const version = schemaVersionOf(
              resource,
              [...catalog.tables.entries()].filter(([name]) => ownTables.has(name)).map(([name, columns]) => ({
                name,
                columns: [...columns.entries()].map(([column, info]) => ({
                  name: column,
                  type: info.type,
                  nullable: !info.required
                }))
              }))
            )
            yield* exec(
              insertVersionSql(dataset),
              [version.hash, resource, version.json],
              "recording the schema version",
              dataset,
              versionTable
            )

            yield* exec(
              insertLoadSql(dataset),
              [loadId, resource, startedAt.toISOString(), JSON.stringify(rowsPerTable), version.hash],
              "recording the load",
              dataset,
              loadsTable
            )
            if (state !== undefined) {
              yield* exec(
                upsertStateSql(dataset),
                // JSON text, not a JS value: arrays would be sent as Postgres arrays (pitfall 6).
                [resource, JSON.stringify(state), loadId],
                "storing the resource state",
                dataset,
                stateTable
              )
            }
            if (staged.size > 0) {
              const tables = [...staged.values()].map((t) => t.staging)
              yield* exec(dropTablesSql(stagingSchema, tables), [], "dropping staging tables", dataset)
              yield* exec(unregisterStagingSql(stagingSchema), [stagingKey, loadId], "dropping staging tables", dataset)
            }
            return { rowsPerTable, schemaVersion: version.hash }
          })

        const commit: ResourceLoad["commit"] = ({ startedAt, state }) =>
          locked(Effect.gen(function*() {
            yield* ensureOpen("commit")
            // Rows still waiting for their write to staging.
            yield* flushAll
            // Tables and columns first, in their own short transaction under the dataset lock,
            // so resources' data commits (the long part) do not wait for each other. New empty
            // tables or columns are all a failed data commit can leave behind.
            const newTables = yield* unitOfWork(
              `preparing the tables of ${resource}`,
              dataset,
              Effect.gen(function*() {
                // Tables that may be swapped in are left to the commit (which creates them if
                // it copies after all); either way they are new, so indexed after their rows.
                const candidates = new Set([...staged.values()].filter((t) => t.swapCandidate).map((t) => t.table))
                const specs = tableSpecs().filter((t) => !candidates.has(t.name))
                const created = (catalog: Catalog) =>
                  new Set([
                    ...specs.filter((t) => !catalog.tables.has(t.name) && !t.conflictTarget).map((t) => t.name),
                    ...[...candidates].filter((t) => !catalog.tables.has(t))
                  ])
                const before = yield* readCatalog(dataset)
                if (planDdl(dataset, before, specs, created(before)).length === 0) return created(before)
                yield* exec(lockSql, [lockKey(dataset)], "locking the dataset", dataset)
                const catalog = yield* readCatalog(dataset)
                const fresh = created(catalog)
                for (const ddl of planDdl(dataset, catalog, specs, fresh)) {
                  yield* exec(ddl.sql, [], "creating tables", dataset, ddl.table)
                }
                return fresh
              })
            )
            const { rowsPerTable, schemaVersion } = yield* unitOfWork(
              `committing ${resource}`,
              dataset,
              commitWork(startedAt, state, newTables)
            )
            status = "committed"
            const result: LoadResult = { loadId, resource, rowsPerTable, schemaVersion }
            return result
          })).pipe(Effect.withSpan("Destination.commit", { attributes: { dataset, resource, loadId } }))

        const load: ResourceLoad = { write, commit }
        return load
      }).pipe(
        Effect.withSpan("Destination.startLoad", {
          attributes: { dataset: options.dataset, resource: options.resource }
        })
      )

    return { storedTables, startLoad, loadState }
  }
)

/** Parent of a child table `a__b__c`: the longest `__`-prefix that is itself a table. */
const parentOf = (name: string, tables: ReadonlyMap<string, unknown>): string | undefined => {
  for (let i = name.lastIndexOf("__"); i > 0; i = name.lastIndexOf("__", i - 1)) {
    const prefix = name.slice(0, i)
    if (tables.has(prefix)) return prefix
  }
  return undefined
}

export const layer: Layer.Layer<Destination, never, SqlClient.SqlClient> = Layer.effect(Destination, make)

/** The destination for a Postgres server, staging rows with COPY (`url` is the server's). */
export const layerCopy = (url: Redacted.Redacted<string> | string): Layer.Layer<Destination, never, SqlClient.SqlClient> =>
  Layer.scoped(Destination, Effect.flatMap(Copy.make(url), (copy) => makeWith({ copy })))
