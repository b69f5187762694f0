/**
 * Databases the storage suites run on: always PGlite in memory, plus a Postgres server when
 * `TEST_DATABASE_URL` is set. Each test works in its own fresh dataset (`freshDataset`), so
 * suites sharing one server never collide.
 */
import { describe } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import type { Scope } from "effect/Scope"
import * as EmbeddedDatabase from "../../src/internal/load/embedded.js"
import type { Destination } from "../../src/internal/load/destination.js"
import { ident, stagingSchemaName } from "../../src/internal/load/identifiers.js"
import * as PgPool from "../../src/internal/load/pgPool.js"
import * as PostgresDestination from "../../src/internal/load/postgresDestination.js"

export interface DatabaseTarget {
  readonly name: string
  readonly layer: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError>
  /** The destination as the CLI builds it (COPY staging on a server: `layer` holds `PgCopy`). */
  readonly destination: Layer.Layer<Destination, never, SqlClient.SqlClient>
}

// Hoisted: layers are memoized by reference (STYLE pitfall 5).
const pglite: DatabaseTarget = { name: "pglite", layer: EmbeddedDatabase.layer({ inProcess: true }), destination: PostgresDestination.layer }

const serverUrl = process.env["TEST_DATABASE_URL"]

export const databaseTargets: ReadonlyArray<DatabaseTarget> = serverUrl === undefined || serverUrl === ""
  ? [pglite]
  : [pglite, {
    name: "postgres server",
    layer: PgPool.layerPool({ url: Redacted.make(serverUrl), maxConnections: 4 }),
    destination: PostgresDestination.layer
  }]

/** Runs `f` inside one `describe` per database target. */
export const forEachDatabase = (f: (target: DatabaseTarget) => void): void => {
  for (const target of databaseTargets) describe(target.name, () => f(target))
}

let counter = 0

/** A dataset name no other test (or earlier run against the same server) uses. */
export const uniqueDatasetName = (prefix = "t"): string =>
  `${prefix}_${Date.now().toString(36)}_${process.pid.toString(36)}_${(counter++).toString(36)}_${
    Math.random().toString(36).slice(2, 6)
  }`

/** A fresh dataset for one test; it and its staging schema are dropped when the scope closes. */
export const freshDataset = (prefix = "t"): Effect.Effect<string, never, SqlClient.SqlClient | Scope> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const dataset = uniqueDatasetName(prefix)
    yield* Effect.addFinalizer(() =>
      sql.unsafe(
        `DROP SCHEMA IF EXISTS ${ident(dataset)} CASCADE; DROP SCHEMA IF EXISTS ${
          ident(stagingSchemaName(dataset))
        } CASCADE`
      ).pipe(Effect.ignore)
    )
    return dataset
  })
