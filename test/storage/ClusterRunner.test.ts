/**
 * The sync workflow on @effect/cluster: a runner (SQL message and runner storage in the Postgres
 * server, its socket on loopback) runs a submitted sync; the same request submitted again joins
 * it. The cluster keeps its state in Postgres, so this needs the server (TEST_DATABASE_URL); the
 * embedded database cannot hold the cluster's locks.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Redacted } from "effect"
import { ensureClusterSchema } from "../../src/internal/cluster/clusterSchema.js"
import * as Registry from "../../src/internal/cluster/syncRegistry.js"
import * as Sync from "../../src/internal/cluster/syncWorkflow.js"
import * as PgPool from "../../src/internal/load/pgPool.js"
import { inProcessRunner, usersSyncRequest } from "../support/inProcessRunner.js"

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined


describe.runIf(serverUrl !== undefined)("a sync on the cluster", () => {
  it.live("a runner runs a submitted sync; the same request again joins it; the cluster's tables are in a schema of their own", () =>
    Effect.gen(function*() {
      const Live = inProcessRunner(serverUrl ?? "")
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const request = yield* usersSyncRequest("cluster")
        const dataset = request.dataset
        const result = yield* Sync.SyncWorkflow.execute(request)
        expect(result.resources.map((r) => [r.resource, r.status, r.rows])).toEqual([["users", "committed", 3]])
        const again = yield* Sync.SyncWorkflow.execute(request)
        expect(again).toEqual(result)
        // status: this runner is up (it beats every few seconds).
        expect((yield* Registry.listRunners).some((r) => r.alive && r.healthy)).toBe(true)
        const rows = yield* sql.unsafe<{ n: string }>(`SELECT count(*) AS n FROM "${dataset}".users`)
        expect(Number(rows[0]?.n)).toBe(3)
        const clusterTables = yield* sql.unsafe<{ schema: string; name: string }>(
          `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
          WHERE table_name IN ('cluster_runners', 'cluster_messages', 'syncs') AND table_schema IN ('rc_cluster', $1) ORDER BY 2`,
          [dataset]
        ).withoutTransform
        expect(clusterTables).toEqual([
          { schema: "rc_cluster", name: "cluster_messages" },
          { schema: "rc_cluster", name: "cluster_runners" },
          { schema: "rc_cluster", name: "syncs" }
        ])
      }).pipe(Effect.scoped, Effect.provide(Live))
    }), 60_000)

  it.live("an ended sync stays ended in status: a late 'running' from a runner that lost its shard does not undo it", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* ensureClusterSchema(sql)
      const key = { executionId: `late-${Date.now()}-${Math.random()}`, dataset: "d", tenant: "t", run: "r" }
      yield* Registry.recordSubmitted(key)
      yield* Registry.recordProgress(key, { state: "running", currentResource: "users" })
      yield* Registry.recordProgress(key, { state: "committed" })
      yield* Registry.recordProgress(key, { state: "running", currentResource: "users" })
      const state = () => sql.unsafe<{ state: string }>(`SELECT state FROM ${Registry.syncsTable} WHERE execution_id = $1`, [key.executionId])
      expect((yield* state())[0]?.state).toBe("committed")
      yield* sql.unsafe(`DELETE FROM ${Registry.syncsTable} WHERE execution_id = $1`, [key.executionId])
    }).pipe(Effect.provide(PgPool.layerPool({ url: Redacted.make(serverUrl ?? ""), maxConnections: 2 }))))

  it.live("status: a runner with no heartbeat for longer than the cluster waits (killed) is gone, whatever its healthy flag says", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* ensureClusterSchema(sql)
      // The cluster's runners table, as a runner makes it; a row the cluster no longer counts
      // (its heartbeat 2 minutes old), so the runners of other tests never see it.
      yield* Effect.scoped(inProcessRunner(serverUrl ?? "").pipe(Layer.build))
      const address = `gone-${Date.now()}-${Math.random()}:1`
      yield* sql.unsafe(
        `INSERT INTO rc_cluster.cluster_runners (address, runner, healthy, last_heartbeat) VALUES ($1, '{}', true, now() - interval '2 minutes')`,
        [address]
      )
      const listed = (yield* Registry.listRunners).find((r) => r.address === address)
      expect(listed === undefined ? undefined : { alive: listed.alive, healthy: listed.healthy }).toEqual({ alive: false, healthy: true })
      yield* sql.unsafe(`DELETE FROM rc_cluster.cluster_runners WHERE address = $1`, [address])
    }).pipe(Effect.provide(PgPool.layerPool({ url: Redacted.make(serverUrl ?? ""), maxConnections: 2 }))), 60_000)
})
