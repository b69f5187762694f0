/**
 * What a connector's tests need, as layers: a scripted `HttpClient` (routes → replies, a log
 * of the requests), the embedded database in memory with the Destination over it, and reading
 * back what a load stored. Everything runs in-process: no network, no server.
 *
 * ```ts
 * import { expect, it } from "@effect/vitest"
 * import { Effect } from "effect"
 * import { Pipeline, RestApiSource, Testing } from "effect-rest-connector"
 *
 * it.effect("loads both pages", () =>
 *   Effect.gen(function*() {
 *     const api = yield* Testing.scriptedHttp({
 *       "GET /v1/items": [
 *         { body: { data: [{ id: 1 }], next: "b" } },
 *         { body: { data: [{ id: 2 }], next: null } }
 *       ]
 *     })
 *     const source = yield* RestApiSource.make({
 *       client: { base_url: "https://api.test/v1/" },
 *       resources: [{ name: "items", endpoint: { path: "items", data_selector: "data",
 *         paginator: { type: "cursor", cursor_path: "next", cursor_param: "after" } } }]
 *     })
 *     yield* Pipeline.run(source, { dataset: "shop" }).pipe(Effect.provide(api.layer))
 *     expect(yield* Testing.rows("shop", "items")).toEqual([{ id: 1n }, { id: 2n }])
 *   }).pipe(Effect.provide(Testing.embedded())))
 * ```
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as PgClient from "@effect/sql-pg/PgClient"
import { type Effect, Layer } from "effect"
import type { Destination } from "./internal/load/destination.js"
import * as embeddedDatabase from "./internal/load/embedded.js"
import * as postgres from "./internal/load/postgresDestination.js"
import * as scripted from "./internal/testing/scriptedHttp.js"
import * as tablesInternal from "./internal/testing/tables.js"

export type {
  /**
   * @since 0.1.0
   */
  Reply,
  /**
   * @since 0.1.0
   */
  Script,
  /**
   * @since 0.1.0
   */
  ScriptedHttp,
  /**
   * @since 0.1.0
   */
  ScriptedRequest
} from "./internal/testing/scriptedHttp.js"
export type {
  /**
   * @since 0.1.0
   */
  RowsOptions
} from "./internal/testing/tables.js"

/**
 * A scripted HttpClient, and the ApiClient over it (`.layer`), with a log of every request
 * (`.requests`). Routes are `"METHOD /path"` keys (the URL's path, no query) whose replies
 * are given in order (the last repeats), or one function of the request; an unrouted request
 * gets a 404.
 *
 * @since 0.1.0
 */
export const scriptedHttp: (script: scripted.Script) => Effect.Effect<scripted.ScriptedHttp> = scripted.make

/**
 * A fresh embedded database in memory, in this process, with the Destination over it (and its
 * `SqlClient`, to look at what was stored). Each call makes a new one.
 *
 * @since 0.1.0
 */
export const embedded = (): Layer.Layer<Destination | SqlClient.SqlClient | PgClient.PgClient, SqlError> =>
  postgres.layer.pipe(Layer.provideMerge(embeddedDatabase.layer({ inProcess: true })))


/**
 * A table's rows as plain objects in a stable order, without the `_rc_*` system columns unless
 * asked for. Postgres types come back as the driver gives them (bigint columns as strings).
 *
 * @since 0.1.0
 */
export const rows: (
  dataset: string,
  table: string,
  options?: tablesInternal.RowsOptions
) => Effect.Effect<ReadonlyArray<Readonly<Record<string, unknown>>>, SqlError, SqlClient.SqlClient> = tablesInternal.rows

/**
 * The tables of a dataset (system tables included) and how many rows each holds.
 *
 * @since 0.1.0
 */
export const tables: (dataset: string) => Effect.Effect<Readonly<Record<string, number>>, SqlError, SqlClient.SqlClient> =
  tablesInternal.tables
