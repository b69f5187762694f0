/**
 * Names in our SQL: identifier quoting, fitting names into Postgres' 63 bytes, and the names of
 * the tables, schemas and indexes we make.
 */
import { createHash } from "node:crypto"

/** Postgres truncates longer identifiers silently, so we shorten them ourselves, deterministically. */
const maxIdentifierBytes = 63

/** Quotes an identifier (embedded `"` doubled); every identifier in our SQL goes through this. */
export const ident = (name: string): string => `"${name.replaceAll("\"", "\"\"")}"`

export const qualified = (schema: string, table: string): string => `${ident(schema)}.${ident(table)}`

const byteLength = (s: string): number => Buffer.byteLength(s, "utf8")

export const shortHash = (...parts: ReadonlyArray<string>): string =>
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

const stagingSuffix = "_staging"

export const stagingSchemaName = (dataset: string): string => fitIdentifier(dataset, stagingSuffix)

/**
 * The schema a dataset name stands for. Postgres would cut a name over 63 bytes short on its
 * own (so the catalog, asked by the full name, would never find it): such a name becomes its
 * head plus a hash of the whole name, short enough that `<dataset>_staging` fits too. Shorter
 * names are kept as given (datasets that exist keep their schema).
 */
export const datasetName = (name: string): string => {
  if (byteLength(name) <= maxIdentifierBytes) return name
  const hash = `_${shortHash(name)}`
  return truncateBytes(name, maxIdentifierBytes - byteLength(stagingSuffix) - hash.length) + hash
}

/**
 * Staging table of one table in one resource load. The suffix hashes load id and resource:
 * resources of one run share the load id and may even write the same table.
 */
export const stagingTableName = (table: string, loadId: string, resource: string): string =>
  fitIdentifier(table, `__${shortHash(loadId, resource)}`)

/** Our system tables: in the dataset, and (the staging registry) in its staging schema. */
export const SystemTables = {
  loads: "_rc_loads",
  state: "_rc_state",
  version: "_rc_version",
  /** Which root and parent each table of the dataset has (see tableGraph.ts). */
  tables: "_rc_tables",
  /** Which source key each column holds (see columnSources.ts). */
  columns: "_rc_columns",
  /** Each CLI run's report (`run --json`'s document), see pipeline/runDocuments.ts. */
  runs: "_rc_runs",
  /** Staging tables and the resource load that owns each, so leftovers can be found. */
  stagingRegistry: "_rc_staging_tables",
  /** Commit keys (a workflow activity's id): a resource commit with a key commits once (see loadRecords.ts). */
  commits: "_rc_commits"
} as const

/** The dataset's system tables, which are not data tables of any resource. */
export const systemTableNames: ReadonlySet<string> = new Set([
  SystemTables.loads,
  SystemTables.state,
  SystemTables.version,
  SystemTables.tables,
  SystemTables.columns,
  SystemTables.runs,
  SystemTables.commits
])

/** The column of `_rc_tables` with a child table's source key (added after the table was). */
export const linkSourceColumn = "source_key"

export const rootIndexName = (table: string): string => fitIdentifier(table, "__rc_id_key")
/** scd2 keeps several versions per `_rc_id` (a row that changes back), so its index is not unique. */
export const versionIndexName = (table: string): string => fitIdentifier(table, "__rc_id_idx")
export const childIndexName = (table: string): string => fitIdentifier(table, "__rc_root_idx")
