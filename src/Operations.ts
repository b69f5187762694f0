/**
 * Looking after a dataset, as the CLI's `loads`, `state`, `reset`, `drop`, `query` and
 * `serve-db` do: its load history, its resources' stored state, starting resources over, and
 * read-only SQL. Each works over the `SqlClient` (or `PgClient`) in context: a Postgres server
 * (`Postgres.layerPool`) or the embedded database (`Embedded.layer`).
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { DestinationError } from "./internal/load/destination.js"
import * as drops from "./internal/load/dropResources.js"
import * as history from "./internal/load/history.js"
import * as states from "./internal/load/storedStates.js"

export type {
  /**
   * @since 0.1.0
   */
  LoadHistory,
  /**
   * @since 0.1.0
   */
  LoadHistoryOptions,
  /**
   * @since 0.1.0
   */
  LoadRecord
} from "./internal/load/history.js"
export type {
  /**
   * @since 0.1.0
   */
  DropTarget,
  /**
   * @since 0.1.0
   */
  ResourceTables
} from "./internal/load/dropResources.js"
export type {
  /**
   * @since 0.1.0
   */
  StoredState
} from "./internal/load/storedStates.js"

/**
 * The dataset's committed resource loads (`_rc_loads`), newest first, and how many there are
 * in all; none before its first load.
 *
 * @since 0.1.0
 */
export const loads = (
  dataset: string,
  options?: history.LoadHistoryOptions
): Effect.Effect<history.LoadHistory, DestinationError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => history.loadHistory(sql, dataset, options))

/**
 * Every resource's stored state (`_rc_state`: the incremental cursors its next run starts
 * from), with the load that stored it.
 *
 * @since 0.1.0
 */
export const storedStates = (dataset: string): Effect.Effect<ReadonlyArray<states.StoredState>, DestinationError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => states.readStates(sql, dataset))

/**
 * Drops the stored state of `resources`, so that their next run starts from `initial_value`;
 * the names of those that had one. Each waits for a run loading it (in this process, or on a
 * server in any other when `Postgres.SessionLocks` is in context, as `Postgres.layerPool` gives).
 *
 * @since 0.1.0
 */
export const resetState: (
  dataset: string,
  resources: ReadonlyArray<string>
) => Effect.Effect<ReadonlyArray<string>, DestinationError, SqlClient.SqlClient> = states.resetStates

/**
 * What `dropResources` would drop: each resource's root tables (those given, and those its
 * loads wrote) with all their child tables, and whether it has a stored state.
 *
 * @since 0.1.0
 */
export const planDrop: (
  dataset: string,
  resources: ReadonlyArray<drops.ResourceTables>
) => Effect.Effect<ReadonlyArray<drops.DropTarget>, DestinationError, SqlClient.SqlClient> = drops.planDrop

/**
 * Drops resources' tables (child tables too), their `_rc_tables`/`_rc_columns` rows and their
 * state, each in one transaction and waiting for a run loading it (as `resetState`). The load
 * history stays. What was dropped.
 *
 * @since 0.1.0
 */
export const dropResources: (
  dataset: string,
  resources: ReadonlyArray<drops.ResourceTables>
) => Effect.Effect<ReadonlyArray<drops.DropTarget>, DestinationError, SqlClient.SqlClient> = drops.dropResources
