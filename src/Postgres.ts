/**
 * The `Destination` over `@effect/sql`'s `SqlClient`: datasets are Postgres schemas, rows are
 * staged (COPY on a server, INSERTs on the embedded database) and each resource commits in
 * one short transaction: append, replace (swapped in atomically) and dlt's merge strategies
 * (delete-insert, upsert, insert-only, scd2).
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as PgClient from "@effect/sql-pg/PgClient"
import { Config, type ConfigError, Effect, Layer } from "effect"
import type { Destination } from "./internal/load/destination.js"
import * as pgCopy from "./internal/load/pgCopy.js"
import * as pgPool from "./internal/load/pgPool.js"
import * as postgres from "./internal/load/postgresDestination.js"
import * as resourceLocks from "./internal/load/resourceLocks.js"

export type {
  /**
   * @since 0.1.0
   */
  CopyOptions,
  /**
   * @since 0.1.0
   */
  CopyWriter
} from "./internal/load/pgCopy.js"
export type {
  /**
   * @since 0.1.0
   */
  PoolOptions
} from "./internal/load/pgPool.js"

/**
 * The Destination over the `SqlClient` in context. It stages rows with COPY when `PgCopy` is
 * in context too (a server, see `layerPool`), and with INSERTs otherwise (any `SqlClient`, the
 * embedded database among them).
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<Destination, never, SqlClient.SqlClient> = postgres.layer

/**
 * COPY into staging tables of a Postgres server, over the pool of its `SqlClient` (`layerPool`).
 *
 * @since 0.1.0
 */
export const PgCopy: typeof pgCopy.PgCopy = pgCopy.PgCopy

/**
 * @since 0.1.0
 */
export type PgCopy = pgCopy.PgCopy

/**
 * @since 0.1.0
 */
export const CopyError: typeof pgCopy.CopyError = pgCopy.CopyError

/**
 * @since 0.1.0
 */
export type CopyError = pgCopy.CopyError

/**
 * Advisory locks on a connection of their own, with which the Destination makes two runs
 * (two processes) loading the same resource of a dataset take turns (`layerPool` provides it).
 *
 * @since 0.1.0
 */
export const SessionLocks: typeof resourceLocks.SessionLocks = resourceLocks.SessionLocks

/**
 * @since 0.1.0
 */
export type SessionLocks = resourceLocks.SessionLocks

/**
 * A Postgres server over one `pg` pool, built once and closed with the layer: `PgClient` and
 * `SqlClient` for queries, and `PgCopy` for the Destination's staging, on the same
 * connections; and `SessionLocks` on one more connection, opened when a run first loads a
 * resource. Connecting is checked when the layer is built, so a bad URL fails at startup
 * with a `SqlError`.
 *
 * @since 0.1.0
 */
export const layerPool: (
  options: pgPool.PoolOptions
) => Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | pgCopy.PgCopy | resourceLocks.SessionLocks, SqlError> =
  pgPool.layerPool

/**
 * `layerPool` with its options read from `Config`, e.g.
 * `Postgres.layerPoolConfig({ url: Config.redacted("DATABASE_URL") })`.
 *
 * @since 0.1.0
 */
export const layerPoolConfig = (
  options: Config.Config.Wrap<pgPool.PoolOptions>
): Layer.Layer<
  PgClient.PgClient | SqlClient.SqlClient | pgCopy.PgCopy | resourceLocks.SessionLocks,
  SqlError | ConfigError.ConfigError
> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(options), pgPool.layerPool))
