/**
 * `Destination` over `SqlClient`: the same SQL runs on a Postgres server and on the embedded
 * PGlite. Rows stream into per-load staging tables in `<dataset>_staging` (staging.ts,
 * writePath.ts); `commit` moves them into the final tables in one transaction (commit.ts,
 * DESIGN §4), merging with dlt's strategies (mergePlan.ts) and recording the resource's schema
 * version in `_rc_version`.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { Context } from "effect"
import { Effect, Layer, Redacted } from "effect"
import { readCatalog } from "./catalog.js"
import { Destination } from "./destination.js"
import { readState } from "./loadRecords.js"
import type { CopyWriter } from "./pgCopy.js"
import * as PgCopy from "./pgCopy.js"
import { startLoad } from "./resourceLoad.js"
import { storedSchemas } from "./tableGraph.js"

export interface MakeOptions {
  /**
   * Bulk-loads staging rows with COPY over its own connections (a Postgres server); without
   * it rows go in as one `INSERT ... SELECT FROM json_to_recordset` per table and batch, which
   * also works on the embedded database. Final tables are always written through SqlClient.
   */
  readonly copy?: CopyWriter | undefined
}

export const makeWith = (
  makeOptions: MakeOptions
): Effect.Effect<Context.Tag.Service<Destination>, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (sql) => ({
    storedTables: (dataset) =>
      readCatalog(sql, dataset).pipe(
        Effect.map(storedSchemas),
        Effect.withSpan("Destination.storedTables", { attributes: { dataset } })
      ),
    startLoad: (options) => startLoad(sql, makeOptions.copy, options),
    loadState: (dataset, resource) =>
      readState(sql, dataset, resource).pipe(Effect.withSpan("Destination.loadState", { attributes: { dataset, resource } }))
  }))

export const make: Effect.Effect<Context.Tag.Service<Destination>, never, SqlClient.SqlClient> = Effect.suspend(() =>
  makeWith({})
)

export const layer: Layer.Layer<Destination, never, SqlClient.SqlClient> = Layer.effect(Destination, make)

/** The destination for a Postgres server, staging rows with COPY (`url` is the server's). */
export const layerCopy = (url: Redacted.Redacted<string> | string): Layer.Layer<Destination, never, SqlClient.SqlClient> =>
  Layer.scoped(Destination, Effect.flatMap(PgCopy.make(url), (copy) => makeWith({ copy })))
