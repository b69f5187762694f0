/**
 * A runner of the cluster: it joins the cluster whose state lives in a Postgres database
 * (@effect/cluster's SQL message and runner storage, over the `SqlClient` of `storage`), takes
 * its share of the shards, and runs the sync workflows they hold with the `Destination`,
 * `ApiClient` and `SqlClient` (the datasets' database) in context. A client-only layer submits
 * and polls workflows without running any.
 *
 * The cluster's tables live in a schema of their own (`clusterSchema`), beside the datasets'
 * schemas and never mixed with them: `clusterDatabase` is a pool whose `search_path` is that
 * schema, for the storage; our own cluster tables (syncs, schedules) name it.
 */
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as PersistedQueue from "@effect/experimental/PersistedQueue"
import * as SqlClient from "@effect/sql/SqlClient"
import * as SqlPersistedQueue from "@effect/sql/SqlPersistedQueue"
import type { Redacted } from "effect"
import { Context, Duration, Layer, Option } from "effect"
import * as PgPool from "../load/pgPool.js"
import * as LostResumes from "./lostResumes.js"
import { retryStartup } from "./restarts.js"
import { clusterSchema, ensureClusterSchema } from "./clusterSchema.js"
import * as Schedules from "./schedules.js"
import * as SharedRateLimit from "./sharedRateLimit.js"
import * as Sync from "./syncWorkflow.js"

export { clusterSchema } from "./clusterSchema.js"

export interface RunnerOptions {
  /** Where other runners and clients reach this one. */
  readonly host: string
  readonly port: number
  /** Resource trees this runner loads at once (default: unbounded). */
  readonly maxSyncs?: number | undefined
}

/** The cluster's storage: a pool on the server whose connections work in `clusterSchema`, made first if missing. */
export const clusterDatabase = (url: Redacted.Redacted | string, maxConnections = 4) =>
  PgPool.layerPool({ url, maxConnections, searchPath: clusterSchema, applicationName: "effect-rest-connector cluster" }).pipe(
    Layer.tap((context) => ensureClusterSchema(Context.get(context, SqlClient.SqlClient)))
  )

/**
 * A runner: the sync workflow registered on the cluster's workflow engine, and the schedules'
 * tick. `storage` gives the cluster's own `SqlClient` (see `clusterDatabase`); the one in
 * context is the datasets'.
 */
export const runnerLayer = <E>(options: RunnerOptions, storage: Layer.Layer<SqlClient.SqlClient, E>) =>
  // The sweep wakes workflows whose resume the engine lost (see lostResumes.ts).
  Layer.mergeAll(Sync.layer, Schedules.cronLayer, LostResumes.layer(Sync.SyncWorkflow, storage)).pipe(
    // The trees' queue, in the cluster's storage: every runner's worker takes from it. A tree
    // whose runner died is taken again once its lock expires (15 s; refreshed every 5 s).
    Layer.provide(
      PersistedQueue.layer.pipe(Layer.provide(
        SqlPersistedQueue.layerStore({ pollInterval: Duration.millis(100), lockRefreshInterval: Duration.seconds(5), lockExpiration: Duration.seconds(15) }).pipe(
          retryStartup,
          Layer.provide(storage)
        )
      ))
    ),
    Layer.provide(options.maxSyncs === undefined ? Layer.empty : Sync.syncSlotsLayer(options.maxSyncs)),
    // The config's request budgets, shared by every runner (in the datasets' database).
    Layer.provide(SharedRateLimit.sharedBudgetsLayer),
    Layer.provide(Layer.succeed(Sync.RunnerName, `${options.host}:${options.port}`)),
    Layer.provideMerge(ClusterWorkflowEngine.layer),
    Layer.provideMerge(
      NodeClusterSocket.layer({
        storage: "sql",
        shardingConfig: {
          runnerAddress: Option.some(RunnerAddress.make(options.host, options.port)),
          // A killed runner answers no ping (5 tries over 2.5 s): found within seconds, not the
          // default minute, so its shards move on before its heartbeat expires (35 s).
          runnerHealthCheckInterval: Duration.seconds(5)
        }
      }).pipe(retryStartup, Layer.provide(storage))
    )
  )

/** A client of the cluster: submits and polls syncs, runs none. */
export const clientLayer = <E>(storage: Layer.Layer<SqlClient.SqlClient, E>) =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provide(NodeClusterSocket.layer({ clientOnly: true, storage: "sql" }).pipe(retryStartup, Layer.provide(storage)))
  )
