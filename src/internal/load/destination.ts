/**
 * Destination: where normalized rows go. One implementation (Postgres over `SqlClient`)
 * serves both a Postgres server and the embedded PGlite database.
 */
import { Context, Data } from "effect"
import type { Effect } from "effect/Effect"
import type { Scope } from "effect/Scope"
import type { Row, TableSchema, WriteDisposition } from "../normalize/tableSchema.js"

export class DestinationError extends Data.TaggedError("DestinationError")<{
  readonly message: string
  readonly dataset: string
  readonly table?: string | undefined
  /**
   * `ConnectionLost`: the database connection broke (server restart, terminated session)
   * before anything was committed, so the load can be done again. `ConnectionLostInCommit`:
   * it broke during the commit's transaction, whose outcome this run cannot know (the next
   * run converges: rows and state commit together). `AlreadyCommitted`: the commit's key was
   * claimed by an earlier commit (its `cause` is that commit's load id and rows); this one
   * rolled back.
   */
  readonly reason?: "ConnectionLost" | "ConnectionLostInCommit" | "AlreadyCommitted" | undefined
  readonly cause?: unknown
}> {}

export interface StartLoadOptions {
  readonly dataset: string
  readonly resource: string
  readonly loadId: string
  /** Name of the resource's root table (children are `<root>__<field>...`). */
  readonly rootTable: string
  readonly disposition: WriteDisposition
  /** Root-table column names of the primary key (normalized); required for `merge`. */
  readonly primaryKey: ReadonlyArray<string>
  /** Tables to create even when no row arrives (resources with a Schema). */
  readonly declaredTables?: ReadonlyArray<TableSchema> | undefined
  /** How `merge` merges (dlt's strategies); default `upsert` semantics when absent. */
  readonly merge?: MergeOptions | undefined
  /**
   * Whose staging tables these are (default: `resource`). A resource whose records go to
   * several root tables (a `table_name` function) runs one load per table, each with a key of
   * its own, so one table's load never drops or unregisters another's staging.
   */
  readonly stagingKey?: string | undefined
  /**
   * Rows per table that wait before they are written to staging as one INSERT (the embedded
   * database; default 1000). A server's COPY waits for ~1 MiB of encoded rows instead.
   */
  readonly batchRows?: number | undefined
}

export type MergeStrategy = "delete-insert" | "upsert" | "insert-only" | "scd2"

export interface MergeOptions {
  readonly strategy: MergeStrategy
  /**
   * delete-insert: final rows whose merge_key equals a staged row's are deleted before the
   * insert (besides rows with the same primary key, i.e. `_rc_id`). Normalized root columns.
   */
  readonly mergeKey: ReadonlyArray<string>
  /** delete-insert: which duplicate of a primary key survives within a load (dlt's dedup_sort). */
  readonly dedupSort?: { readonly column: string; readonly order: "asc" | "desc" } | undefined
  /**
   * dlt's hard_delete: a root column; a staged row whose value is true (boolean column) or
   * not null (other types) deletes the final row with its key instead of being inserted.
   */
  readonly hardDelete?: string | undefined
  readonly scd2?: Scd2Options | undefined
}

/** scd2 validity columns on root tables (dlt's `_dlt_valid_from` / `_dlt_valid_to`). */
export const Scd2Columns = { validFrom: "_rc_valid_from", validTo: "_rc_valid_to" } as const

/** dlt's scd2 options. */
export interface Scd2Options {
  /** Validity columns (dlt's `validity_column_names`); default {@link Scd2Columns}. */
  readonly validFrom?: string | undefined
  readonly validTo?: string | undefined
  /** `valid_to` of active versions (dlt's `active_record_timestamp`, ISO); undefined = NULL. */
  readonly activeTo?: string | undefined
  /** `valid_from` of new and `valid_to` of retired versions (dlt's `boundary_timestamp`, ISO); default the load's start. */
  readonly boundary?: string | undefined
}

export interface Batch {
  /** Current schema of every table that has rows in this batch (columns only ever grow). */
  readonly tables: ReadonlyArray<TableSchema>
  /** Rows per table name. */
  readonly rows: ReadonlyMap<string, ReadonlyArray<Row>>
}

export interface LoadResult {
  readonly loadId: string
  readonly resource: string
  /** Rows written per final table in this load. */
  readonly rowsPerTable: Readonly<Record<string, number>>
  /** Hash of the tables' schema the load used (stored in `_rc_loads` and `_rc_version`). */
  readonly schemaVersion?: string | undefined
  /** Set when the commit key had been claimed by an earlier commit: this load rolled back, `loadId` and rows are that commit's. */
  readonly committedEarlier?: boolean | undefined
}

export interface CommitOptions {
  readonly startedAt: Date
  /** Resource state (incremental cursors...) to store in `_rc_state` in the same transaction. */
  readonly state?: unknown
  /**
   * Commits at most once per key (a workflow activity's id), claimed in `_rc_commits` in the
   * same transaction: a commit whose key an earlier one holds rolls back and answers with that
   * commit's load (`LoadResult.committedEarlier`).
   */
  readonly commitKey?: string | undefined
}

/** A resource's load in progress: rows stream into staging; `commit` makes them visible at once. */
export interface ResourceLoad {
  readonly write: (batch: Batch) => Effect<void, DestinationError>
  readonly commit: (options: CommitOptions) => Effect<LoadResult, DestinationError>
}

export interface StoredColumn {
  readonly table: string
  readonly column: string
  readonly dataType: string
  readonly nullable: boolean
}

export class Destination extends Context.Tag("effect-rest-connector/Destination")<Destination, {
  /** Tables of a dataset as stored (our names → schema), for resuming type decisions. */
  readonly storedTables: (dataset: string) => Effect<ReadonlyArray<TableSchema>, DestinationError>
  /** Starts a resource load. Closing the scope without `commit` discards the staged rows. */
  readonly startLoad: (options: StartLoadOptions) => Effect<ResourceLoad, DestinationError, Scope>
  /**
   * Commits loads of one resource in one run together (a `table_name` function's root tables,
   * a load each): their rows, one `_rc_loads` row and the state become visible at once. Loads
   * must come from this destination's `startLoad`.
   */
  readonly commitLoads: (loads: ReadonlyArray<ResourceLoad>, options: CommitOptions) => Effect<LoadResult, DestinationError>
  /**
   * Holds the dataset's resource for the scope: another run loading it (in this process or,
   * on a server, any other) waits until the scope closes, saying so in a warning. True when
   * this one had to wait.
   */
  readonly lockResource: (dataset: string, resource: string) => Effect<boolean, DestinationError, Scope>
  /** Stored `_rc_state` for a resource, if any. */
  readonly loadState: (dataset: string, resource: string) => Effect<unknown, DestinationError>
}>() {}
