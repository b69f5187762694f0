/**
 * A runner of the cluster: it joins the cluster whose state lives in the Postgres database of
 * the `SqlClient` it is given (@effect/cluster's SQL message and runner storage), takes its
 * share of the shards, and runs the sync workflows they hold with the `Destination` and
 * `ApiClient` it is given. A client-only layer submits and polls workflows without running any.
 */
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import { Layer, Option } from "effect"
import * as Schedules from "./schedules.js"
import * as Sync from "./syncWorkflow.js"

export interface RunnerOptions {
  /** Where other runners and clients reach this one. */
  readonly host: string
  readonly port: number
  /** Resource trees this runner loads at once (default: unbounded). */
  readonly maxSyncs?: number | undefined
}

/** A runner: the sync workflow registered on the cluster's workflow engine, and the schedules' tick. */
export const runnerLayer = (options: RunnerOptions) =>
  Layer.mergeAll(Sync.layer, Schedules.cronLayer).pipe(
    Layer.provide(options.maxSyncs === undefined ? Layer.empty : Sync.syncSlotsLayer(options.maxSyncs)),
    Layer.provideMerge(ClusterWorkflowEngine.layer),
    Layer.provideMerge(
      NodeClusterSocket.layer({
        storage: "sql",
        shardingConfig: { runnerAddress: Option.some(RunnerAddress.make(options.host, options.port)) }
      })
    )
  )

/** A client of the cluster: submits and polls syncs, runs none. */
export const clientLayer = ClusterWorkflowEngine.layer.pipe(
  Layer.provide(NodeClusterSocket.layer({ clientOnly: true, storage: "sql" }))
)
