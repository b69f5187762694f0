/**
 * The embedded database: PGlite (real Postgres compiled to WASM), served on loopback and
 * reached through `@effect/sql-pg`'s `PgClient`, so it runs the same SQL and driver path as a
 * server. By default PGlite runs in a child process of its own (another core, its WASM memory
 * not the pipeline's); `inProcess: true` keeps it in this process. PGlite is loaded only when
 * one of these layers is built, never by importing the library. A new data directory starts as
 * a copy of the one the build initialized (no `initdb`), and the child runs with small buffers
 * and V8's baseline WASM code (`optimizingCompiler: true` trades ~90 MB for ~13% speed). The
 * Destination stages rows into it with COPY, as on a server: PGlite's own `COPY ... FROM
 * '/dev/blob'`, handed the bytes beside its socket server (whose `COPY FROM STDIN` loses sync).
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as PgClient from "@effect/sql-pg/PgClient"
import { Config, type ConfigError, Effect, Layer } from "effect"
import * as embedded from "./internal/load/embedded.js"

export type {
  /**
   * @since 0.1.0
   */
  DatabaseOptions,
  /**
   * @since 0.1.0
   */
  EmbeddedOptions
} from "./internal/load/embedded.js"

/**
 * The embedded database as a `SqlClient` (and `PgClient`), persisted in `dataDir` (in memory
 * without one); it lives as long as the layer. One process per data directory at a time: another
 * one waits (`waitTimeout`, default 5 minutes) for its `.lock` file, taken over once its holder is gone.
 *
 * @since 0.1.0
 */
export const layer: (options: embedded.EmbeddedOptions) => Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError> =
  embedded.layer

/**
 * A Postgres server when `databaseUrl` is given, else the embedded database. Build it once and share it.
 *
 * @since 0.1.0
 */
export const databaseLayer: (
  options: embedded.DatabaseOptions
) => Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError> = embedded.databaseLayer

/**
 * `layer` with its options read from `Config` (e.g. `{ dataDir: Config.string("DATA_DIR") }`).
 *
 * @since 0.1.0
 */
export const layerConfig = (
  options: Config.Config.Wrap<embedded.EmbeddedOptions>
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError | ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(options), embedded.layer))
