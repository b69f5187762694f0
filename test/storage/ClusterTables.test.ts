/**
 * The cluster's own tables are made by whichever command first needs them, and many start at
 * once (fifty `submit`s for fifty tenants on a new cluster): `CREATE TABLE IF NOT EXISTS`
 * races with itself, and none of them may fail for it. Needs the server (TEST_DATABASE_URL):
 * the embedded database has one connection, so nothing races there.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Redacted } from "effect"
import { clusterSchema, ensureClusterTable } from "../../src/internal/cluster/clusterSchema.js"
import * as PgPool from "../../src/internal/load/pgPool.js"
import { uniqueDatasetName } from "../support/database.js"

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

describe.runIf(serverUrl !== undefined)("the cluster's tables", () => {
  it.live("twenty sessions making the same table at once all succeed", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const table = `${clusterSchema}.${uniqueDatasetName("race")}`
      yield* Effect.addFinalizer(() => sql.unsafe(`DROP TABLE IF EXISTS ${table}`).pipe(Effect.ignore))
      const ddl = `CREATE TABLE IF NOT EXISTS ${table} (k text PRIMARY KEY, v jsonb NOT NULL DEFAULT '{}');
        ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS w text`
      // Twenty open sessions first, so the statements really run side by side.
      yield* Effect.forEach(Array.from({ length: 20 }), () => sql.unsafe("SELECT pg_sleep(0.05)"), { concurrency: "unbounded", discard: true })
      const outcomes = yield* Effect.forEach(Array.from({ length: 20 }), () => Effect.either(ensureClusterTable(sql, ddl)), { concurrency: "unbounded" })
      expect(outcomes.filter((o) => o._tag === "Left").map((o) => String(o))).toEqual([])
      const columns = yield* sql.unsafe<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY 1`,
        [clusterSchema, table.slice(clusterSchema.length + 1)]
      ).withoutTransform
      expect(columns.map((c) => c.column_name)).toEqual(["k", "v", "w"])
    }).pipe(Effect.scoped, Effect.provide(PgPool.layerPool({ url: Redacted.make(serverUrl ?? ""), maxConnections: 20 }))))
})
