/**
 * A local web dashboard of a dataset, as `rest-connector dashboard` serves it: an overview
 * (each resource's last run, and a timeline of the last run), the load history (a chart of
 * rows per load), the schema as table trees, the stored incremental state, a table's first
 * rows and a read-only SQL box. The data functions work over the `SqlClient`/`PgClient` in
 * context (a server through `Postgres.layerPool`, or `Embedded.layer`); `app` is the page and
 * its JSON endpoints as an `@effect/platform` HTTP app, for serving from your own program, and
 * `serve` listens on 127.0.0.1 for the scope.
 *
 * Safety: requests must name the bound host, localhost or 127.0.0.1 (DNS rebinding); a POST
 * must be same-origin JSON; SQL runs in a read-only transaction with a statement timeout and a
 * row limit; no secret of the config is read or shown.
 *
 * @since 0.1.0
 */
import type { ServeError } from "@effect/platform/HttpServerError"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as PgClient from "@effect/sql-pg/PgClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Effect } from "effect"
import type { Scope } from "effect/Scope"
import type { SourceSpec } from "./internal/config/spec.js"
import * as data from "./internal/dashboard/data.js"
import type { DestinationError } from "./internal/load/destination.js"
import * as model from "./internal/dashboard/model.js"
import { schemaTree } from "./internal/dashboard/schemaTree.js"
import * as server from "./internal/dashboard/server.js"

export type {
  /**
   * @since 0.1.0
   */
  ColumnView,
  /**
   * @since 0.1.0
   */
  DashboardResource,
  /**
   * @since 0.1.0
   */
  History,
  /**
   * @since 0.1.0
   */
  LoadView,
  /**
   * @since 0.1.0
   */
  Overview,
  /**
   * @since 0.1.0
   */
  ResourceOverview,
  /**
   * @since 0.1.0
   */
  RootTable,
  /**
   * @since 0.1.0
   */
  RowsView,
  /**
   * @since 0.1.0
   */
  RunSummary,
  /**
   * @since 0.1.0
   */
  SchemaView,
  /**
   * @since 0.1.0
   */
  StateView,
  /**
   * @since 0.1.0
   */
  TableNode
} from "./internal/dashboard/model.js"
export type {
  /**
   * @since 0.1.0
   */
  DashboardOptions,
  /**
   * @since 0.1.0
   */
  ListenOptions
} from "./internal/dashboard/server.js"
export type {
  /**
   * @since 0.1.0
   */
  SqlBoxOptions
} from "./internal/dashboard/data.js"

/**
 * A request the dashboard cannot answer: `NotFound`, `BadRequest` (including SQL the database
 * refused, such as a write), `Unavailable`.
 *
 * @since 0.1.0
 */
export const DashboardError: typeof model.DashboardError = model.DashboardError

/**
 * @since 0.1.0
 */
export type DashboardError = model.DashboardError

/**
 * A config's resources as the dashboard shows them: names, tables, keys, write disposition and
 * incremental cursor (never a secret).
 *
 * @since 0.1.0
 */
export const describeResources: <S>(spec: SourceSpec<S>) => ReadonlyArray<model.DashboardResource> = model.describeResources

/**
 * Each resource's last run (from the runs' reports in `_rc_runs`) and last load (`_rc_loads`),
 * and the newest run's report for its timeline.
 *
 * @since 0.1.0
 */
export const overview: (
  dataset: string,
  resources: ReadonlyArray<model.DashboardResource>
) => Effect.Effect<model.Overview, DestinationError, SqlClient.SqlClient> = data.overview

/**
 * The loads, oldest first (rows per table), and the newest runs in brief (status, errors).
 *
 * @since 0.1.0
 */
export const history: (dataset: string, limit?: number) => Effect.Effect<model.History, DestinationError, SqlClient.SqlClient> =
  data.history

/**
 * The dataset's tables as trees (root → child tables → grandchildren) with columns, SQL types,
 * source keys, variant columns, the resource's keys and write disposition, and schema versions.
 *
 * @since 0.1.0
 */
export const schema: (
  dataset: string,
  resources: ReadonlyArray<model.DashboardResource>
) => Effect.Effect<model.SchemaView, DestinationError, SqlClient.SqlClient> = schemaTree

/**
 * Each resource's stored incremental state: cursor, last value, per-parent cursors, when stored.
 *
 * @since 0.1.0
 */
export const state: (
  dataset: string,
  resources: ReadonlyArray<model.DashboardResource>
) => Effect.Effect<ReadonlyArray<model.StateView>, DestinationError, SqlClient.SqlClient> = data.state

/**
 * The first `limit` (at most 1000) rows of a table the dataset's catalog lists; any other name
 * fails with `NotFound` and never reaches SQL.
 *
 * @since 0.1.0
 */
export const tableRows: (
  dataset: string,
  table: string,
  limit: number
) => Effect.Effect<model.RowsView, model.DashboardError, SqlClient.SqlClient | PgClient.PgClient> = data.tableRows

/**
 * One read-only SQL statement (the SQL box): a READ ONLY transaction that is rolled back, a
 * statement timeout, a row limit; writes and several statements fail with `BadRequest`.
 *
 * @since 0.1.0
 */
export const query: (
  dataset: string,
  statement: string,
  options?: data.SqlBoxOptions
) => Effect.Effect<model.RowsView, model.DashboardError, PgClient.PgClient> = data.runQuery

/**
 * The page and its JSON endpoints as an HTTP app (serve it with `HttpServer.serve`).
 *
 * @since 0.1.0
 */
export const app: (
  options: server.DashboardOptions
) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest | SqlClient.SqlClient | PgClient.PgClient> =
  server.app

/**
 * Serves the dashboard for the scope (127.0.0.1 and a free port by default); its URL.
 *
 * @since 0.1.0
 */
export const serve: (
  options: server.ListenOptions
) => Effect.Effect<{ readonly url: string; readonly host: string; readonly port: number }, ServeError, Scope | SqlClient.SqlClient | PgClient.PgClient> =
  server.serve
