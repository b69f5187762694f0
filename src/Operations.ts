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
import * as history from "./internal/load/history.js"

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
