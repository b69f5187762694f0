/**
 * The state of one resource load in progress, as plain data that the staging, write and commit
 * modules work on: what the load is (fixed at its start), its staging tables, the rows waiting
 * for their write to staging, and the COPYs in flight.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Effect, Fiber } from "effect"
import type { Scope } from "effect/Scope"
import type { ColumnSchema, Row, TableSchema, WriteDisposition } from "../normalize/tableSchema.js"
import type { DestinationError, MergeOptions } from "./destination.js"
import type { CopyWriter } from "./pgCopy.js"
import type { RowsEncoder } from "./rowsEncoder.js"

/** A final table's staging table in this load. */
export interface StagedTable {
  readonly table: string
  readonly staging: string
  readonly parent: string | undefined
  /** The table's schema as last written (its columns' source keys are recorded at commit). */
  schema: TableSchema
  /** Staging columns (with `_rc_seq`), in creation order. */
  readonly columns: Map<string, ColumnSchema>
  rows: number
  /**
   * The final table did not exist when staging began, and the load's disposition can take the
   * staging table whole: if it still does not exist at commit, the staging table is renamed
   * into place instead of copied (see swap.ts). Such staging tables are LOGGED.
   */
  readonly swapCandidate: boolean
}

/** Rows of one table waiting for their write to staging. */
export type PendingRows =
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

export interface LoadState {
  readonly sql: SqlClient.SqlClient
  /** COPY (a server, the embedded database); undefined: rows go to staging as INSERTs (a bare SqlClient). */
  readonly copy: CopyWriter | undefined
  readonly dataset: string
  readonly resource: string
  readonly loadId: string
  readonly rootTable: string
  /** Whose staging tables these are (see `StartLoadOptions.stagingKey`). */
  readonly stagingKey: string
  readonly stagingSchema: string
  readonly disposition: WriteDisposition
  readonly primaryKey: ReadonlyArray<string>
  readonly declaredTables: ReadonlyArray<TableSchema>
  readonly isMerge: boolean
  readonly merge: MergeOptions
  /**
   * Whether a staged table may become its final table whole (when that does not exist yet):
   * every row of it goes in as it is. Not so for scd2 (validity columns, versions) or hard
   * deletes (flagged rows stay out).
   */
  readonly swappable: boolean
  /** Background COPYs live as long as the load: abandoning it interrupts them. */
  readonly loadScope: Scope
  /** Rows per table that wait for one INSERT into staging (no COPY). */
  readonly flushRows: number
  /** One writer at a time (see writePath.ts); the commit takes it too. */
  readonly lock: Effect.Semaphore
  readonly staged: Map<string, StagedTable>
  readonly pending: Map<string, PendingRows>
  /** COPYs in flight, per table (at most one each). */
  readonly sending: Map<string, Fiber.RuntimeFiber<void, DestinationError>>
  stagingReady: boolean
  status: "open" | "committed"
  /** Someone holds `lock`. */
  busy: boolean
}
