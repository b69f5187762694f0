/** The sync workflow on the in-memory workflow engine over a database target, with the real HTTP client. */
import { NodeHttpClient } from "@effect/platform-node"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import { Layer } from "effect"
import * as Sync from "../../src/internal/cluster/syncWorkflow.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import type { DatabaseTarget } from "./database.js"

export const syncOnMemoryEngine = (target: DatabaseTarget) =>
  Sync.layer.pipe(
    Layer.provide(Sync.memoryQueue),
    Layer.provideMerge(WorkflowEngine.layerMemory),
    Layer.provideMerge(Layer.mergeAll(target.destination, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici)))),
    Layer.provideMerge(target.layer)
  )
