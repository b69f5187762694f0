/**
 * The `Destination` over `@effect/sql`'s `SqlClient`: datasets are Postgres schemas, rows are
 * staged (COPY on a server, INSERTs on the embedded database) and each resource commits in
 * one short transaction: append, replace (swapped in atomically) and dlt's merge strategies
 * (delete-insert, upsert, insert-only, scd2).
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Layer, Redacted } from "effect"
import type { Destination } from "./internal/load/destination.js"
import * as postgres from "./internal/load/postgres.js"

/**
 * The Destination over the `SqlClient` in context (staging by INSERTs).
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<Destination, never, SqlClient.SqlClient> = postgres.layer

/**
 * The Destination over the `SqlClient` in context, staging rows by COPY over connections to
 * `url` (a Postgres server).
 *
 * @since 0.1.0
 */
export const layerCopy: (url: Redacted.Redacted<string> | string) => Layer.Layer<Destination, never, SqlClient.SqlClient> =
  postgres.layerCopy
