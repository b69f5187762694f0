/**
 * `Destination` over `SqlClient`: the same SQL runs on a Postgres server and on the embedded
 * PGlite. Rows stream into per-load staging tables in `<dataset>_staging` (staging.ts,
 * writePath.ts): by COPY when `PgCopy` is in context (a server's `layerPool`, and the embedded
 * database's layer, whose COPY goes beside its socket server: blobCopy.ts), else as
 * `json_to_recordset` INSERTs (a bare `SqlClient`). `commit` moves them into the final tables in one transaction (commit.ts, DESIGN §4),
 * merging with dlt's strategies (mergePlan.ts) and recording the resource's schema version.
 * Two runs loading one resource take turns (resourceLocks.ts).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { Context } from "effect"
import { Effect, Layer, Option } from "effect"
import { readCatalog } from "./catalog.js"
import { Destination } from "./destination.js"
import { destinationError } from "./destinationErrors.js"
import { readState } from "./loadRecords.js"
import type { CopyWriter } from "./pgCopy.js"
import { PgCopy } from "./pgCopy.js"
import { commitLoadsOf, startLoad } from "./resourceLoad.js"
import { lockResource, type SessionLockClient, SessionLocks } from "./resourceLocks.js"
import { storedSchemas } from "./tableGraph.js"

/**
 * The destination over `sql`, staging rows with `copy` when given, holding resources across
 * processes with `locks` when given (see resourceLocks.ts).
 */
export const makeWith = (
  sql: SqlClient.SqlClient,
  copy: CopyWriter | undefined,
  locks: SessionLockClient | undefined = undefined
): Context.Tag.Service<Destination> => ({
  storedTables: (dataset) =>
    readCatalog(sql, dataset).pipe(
      Effect.map(storedSchemas),
      Effect.withSpan("Destination.storedTables", { attributes: { dataset } })
    ),
  startLoad: (options) => startLoad(sql, copy, options),
  commitLoads: commitLoadsOf,
  lockResource: (dataset, resource) =>
    lockResource(sql, Option.fromNullable(locks), dataset, resource).pipe(
      Effect.mapError(destinationError(`waiting for another run loading ${dataset}.${resource}`, dataset))
    ),
  loadState: (dataset, resource) =>
    readState(sql, dataset, resource).pipe(Effect.withSpan("Destination.loadState", { attributes: { dataset, resource } }))
})

/** The destination over the `SqlClient` in context, with COPY when `PgCopy` is there too. */
export const make: Effect.Effect<Context.Tag.Service<Destination>, never, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const copy = yield* Effect.serviceOption(PgCopy)
  const locks = yield* Effect.serviceOption(SessionLocks)
  return makeWith(sql, Option.getOrUndefined(copy), Option.getOrUndefined(locks))
})

export const layer: Layer.Layer<Destination, never, SqlClient.SqlClient> = Layer.effect(Destination, make)
