/**
 * The cluster's own tables are made by whichever command first needs them, and many start at
 * once (fifty `submit`s for fifty tenants on a new cluster): `CREATE TABLE IF NOT EXISTS`
 * races with itself, and none of them may fail for it. Needs the server (TEST_DATABASE_URL):
 * the embedded database has one connection, so nothing races there.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Deferred, Effect, Fiber, Queue, Redacted } from "effect"
import { clusterSchema, ensureClusterTable } from "../../src/internal/cluster/clusterSchema.js"
import * as PgPool from "../../src/internal/load/pgPool.js"
import { uniqueDatasetName } from "../support/database.js"

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

const pool = (connections: number) => PgPool.layerPool({ url: Redacted.make(serverUrl ?? ""), maxConnections: connections })

/** `ensureClusterTable` on a client of its own (one process of many), once its session is open and `gate` opens. */
const fromOwnClient = (ddl: string, ready: Queue.Queue<void>, gate: Deferred.Deferred<void>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe("SELECT 1")
    yield* Queue.offer(ready, undefined)
    yield* Deferred.await(gate)
    return yield* Effect.either(ensureClusterTable(sql, ddl))
  }).pipe(Effect.scoped, Effect.provide(pool(1)))

describe.runIf(serverUrl !== undefined)("the cluster's tables", () => {
  it.live("twenty processes making the same table at once all succeed; callers in one process run it once", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const table = `${clusterSchema}.${uniqueDatasetName("race")}`
      yield* Effect.addFinalizer(() => sql.unsafe(`DROP TABLE IF EXISTS ${table}`).pipe(Effect.ignore))
      const ddl = `CREATE TABLE IF NOT EXISTS ${table} (k text PRIMARY KEY, v jsonb NOT NULL DEFAULT '{}');
        ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS w text`
      // Twenty clients (processes), each on its own session: the statements really race.
      const ready = yield* Queue.unbounded<void>()
      const gate = yield* Deferred.make<void>()
      const all = yield* Effect.fork(Effect.forEach(Array.from({ length: 20 }), () => fromOwnClient(ddl, ready, gate), { concurrency: "unbounded" }))
      yield* Queue.takeN(ready, 20)
      yield* Deferred.succeed(gate, undefined)
      const outcomes = yield* Fiber.join(all)
      expect(outcomes.filter((o) => o._tag === "Left").map((o) => String(o))).toEqual([])
      const columns = yield* sql.unsafe<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY 1`,
        [clusterSchema, table.slice(clusterSchema.length + 1)]
      ).withoutTransform
      expect(columns.map((c) => c.column_name)).toEqual(["k", "v", "w"])

      // Twenty callers of one client at once (a fresh runner starting every workflow): one runs
      // the DDL, the others wait for it.
      const other = `${clusterSchema}.${uniqueDatasetName("once")}`
      yield* Effect.addFinalizer(() => sql.unsafe(`DROP TABLE IF EXISTS ${other}`).pipe(Effect.ignore))
      // The statement leaves a row each time it runs.
      const once = `CREATE TABLE IF NOT EXISTS ${other} (k text); INSERT INTO ${other} VALUES ('ran')`
      yield* Effect.forEach(Array.from({ length: 20 }), () => ensureClusterTable(sql, once), { concurrency: "unbounded", discard: true })
      const runs = yield* sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM ${other}`)
      expect(runs[0]?.n).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(pool(4))))
})
