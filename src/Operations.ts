/**
 * Looking after a dataset, as the CLI's `loads`, `state`, `reset`, `drop`, `query` and
 * `serve-db` do: its load history, its resources' stored state, starting resources over, and
 * read-only SQL. Each works over the `SqlClient` (or `PgClient`) in context: a Postgres server
 * (`Postgres.layerPool`) or the embedded database (`Embedded.layer`).
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as PgClient from "@effect/sql-pg/PgClient"
import { Effect } from "effect"
import type { Scope } from "effect/Scope"
import type { DestinationError } from "./internal/load/destination.js"
import * as drops from "./internal/load/dropResources.js"
import * as embedded from "./internal/load/embedded.js"
import * as history from "./internal/load/history.js"
import * as queries from "./internal/load/readOnlyQuery.js"
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
export type {
  /**
   * @since 0.1.0
   */
  QueryColumn,
  /**
   * @since 0.1.0
   */
  QueryResult
} from "./internal/load/readOnlyQuery.js"
export type {
  /**
   * @since 0.1.0
   */
  ServeOptions
} from "./internal/load/embedded.js"

/**
 * A read-only query that failed: `MultipleStatements`, `Connect` or `Statement` (the
 * database's message, with its SQLSTATE).
 *
 * @since 0.1.0
 */
export const QueryError: typeof queries.QueryError = queries.QueryError

/**
 * @since 0.1.0
 */
export type QueryError = queries.QueryError

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

/**
 * Runs ONE SQL statement read-only in `dataset`: on a session of its own (from the `PgClient`'s
 * settings), in a READ ONLY transaction that is rolled back, with `search_path` on the dataset
 * (unqualified names are its tables). Several statements are refused (`MultipleStatements`):
 * the statement goes through the extended protocol, which runs one. Values are the text
 * Postgres prints (`rowObjects` for JSON values).
 *
 * @since 0.1.0
 */
export const query: (dataset: string, statement: string) => Effect.Effect<queries.QueryResult, queries.QueryError, PgClient.PgClient> =
  queries.readOnlyQuery

/**
 * A query's rows as objects by column name: booleans, small numbers and json as JSON values,
 * the rest as text; a repeated column name gets `_2`, `_3`...
 *
 * @since 0.1.0
 */
export const rowObjects: (result: queries.QueryResult) => ReadonlyArray<Record<string, unknown>> = queries.rowObjects

/**
 * Serves the embedded database in `dataDir` in this process, for the scope, on a loopback port
 * (default 127.0.0.1, a free port) for psql and other Postgres tools; where it listens. It has
 * no authentication, and its connections share the database's one session. One process per
 * data directory: nothing else may use it meanwhile.
 *
 * @since 0.1.0
 */
export const serveEmbedded: (
  options: embedded.ServeOptions
) => Effect.Effect<{ readonly host: string; readonly port: number }, SqlError, Scope> = embedded.serve
