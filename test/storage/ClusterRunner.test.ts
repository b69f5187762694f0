/**
 * The sync workflow on @effect/cluster: a runner (SQL message and runner storage in the Postgres
 * server, its socket on loopback) runs a submitted sync; the same request submitted again joins
 * it. The cluster keeps its state in Postgres, so this needs the server (TEST_DATABASE_URL); the
 * embedded database cannot hold the cluster's locks.
 */
import { describe, expect, it } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Redacted } from "effect"
import { clusterDatabase, runnerLayer } from "../../src/internal/cluster/runner.js"
import { ensureClusterSchema } from "../../src/internal/cluster/clusterSchema.js"
import * as Registry from "../../src/internal/cluster/syncRegistry.js"
import * as Sync from "../../src/internal/cluster/syncWorkflow.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as PgPool from "../../src/internal/load/pgPool.js"
import * as PostgresDestination from "../../src/internal/load/postgresDestination.js"
import { freshDataset } from "../support/database.js"
import { scopedConfigFile } from "../support/configFile.js"
import { serveJson } from "../support/loopback.js"
import { freePort } from "../support/ports.js"

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined


describe.runIf(serverUrl !== undefined)("a sync on the cluster", () => {
  it.live("a runner runs a submitted sync; the same request again joins it; the cluster's tables are in a schema of their own", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const database = PgPool.layerPool({ url: Redacted.make(serverUrl ?? ""), maxConnections: 8 })
      const Live = runnerLayer({ host: "127.0.0.1", port }, clusterDatabase(Redacted.make(serverUrl ?? ""))).pipe(
        Layer.provideMerge(Layer.mergeAll(PostgresDestination.layer, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici)))),
        Layer.provideMerge(database)
      )
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const api = yield* serveJson((url) => ({ body: url.pathname === "/users" ? [{ id: 1 }, { id: 2 }, { id: 3 }] : [] }))
        const config = yield* scopedConfigFile("users.json", {
          client: { base_url: api.url },
          resources: [{ name: "users", primary_key: "id", endpoint: { path: "users", paginator: "single_page" } }]
        })
        const dataset = yield* freshDataset("cluster")
        const request = { config, configHash: yield* Sync.configHash(config), dataset, tenant: "", run: "manual-1" }
        const result = yield* Sync.SyncWorkflow.execute(request)
        expect(result.resources.map((r) => [r.resource, r.status, r.rows])).toEqual([["users", "committed", 3]])
        const again = yield* Sync.SyncWorkflow.execute(request)
        expect(again).toEqual(result)
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
      }).pipe(Effect.provide(Live), Effect.scoped)
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
})
