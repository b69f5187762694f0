/**
 * `worker --max-syncs N`: a runner runs at most N syncs at once, however many workflows its
 * shards hold; the others wait their turn. On the in-memory workflow engine with the slots a
 * runner gets, against a loopback API that counts the requests in flight (each answered 30 ms
 * after it arrived).
 */
import { expect, layer } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import { Effect, Layer } from "effect"
import * as Sync from "../../src/internal/cluster/syncWorkflow.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import { startCountingServer } from "../support/countingServer.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { scopedConfigFile } from "../support/configFile.js"

/** Pages of 5 items, 3 pages per account, each answered after 30 ms. */
const countingApi = Effect.acquireRelease(
  Effect.promise(() =>
    startCountingServer((url) => {
      const page = Number(url.searchParams.get("page") ?? 1)
      return { body: { items: page > 3 ? [] : Array.from({ length: 5 }, (_, k) => ({ id: `${url.pathname}-${page}-${k}` })) }, delayMillis: 30 }
    })
  ),
  (api) => Effect.promise(() => api.close())
)

forEachDatabase((target) => {
  const Live = Sync.layer.pipe(
    Layer.provide(Sync.syncSlotsLayer(1)),
    Layer.provide(Sync.memoryQueue),
    Layer.provideMerge(WorkflowEngine.layerMemory),
    Layer.provideMerge(Layer.mergeAll(target.destination, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici)))),
    Layer.provideMerge(target.layer)
  )

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("one slot: three syncs submitted at once run one after another, and all commit", () =>
      Effect.gen(function*() {
        const api = yield* countingApi
        const config = yield* scopedConfigFile("slots.json", {
          client: { base_url: api.url },
          resources: [{
            name: "items",
            primary_key: "id",
            endpoint: { path: "{params.account}/items", data_selector: "items", paginator: { type: "page_number", base_page: 1, total_path: null, stop_after_empty_page: true } }
          }]
        })
        const configHash = yield* Sync.configHash(config)
        const results = yield* Effect.forEach(["a", "b", "c"], (account) =>
          Effect.flatMap(freshDataset(`slots_${account}`), (dataset) =>
            Sync.SyncWorkflow.execute({ config, configHash, dataset, tenant: "", run: "slots", params: { account } })), {
          concurrency: "unbounded"
        })
        expect(results.map((r) => r.resources.map((o) => [o.status, o.rows]))).toEqual([
          [["committed", 15]],
          [["committed", 15]],
          [["committed", 15]]
        ])
        // Each sync reads its pages one at a time, so more than one request in flight would
        // have meant two syncs at once.
        expect(api.most()).toBe(1)
      }))
  })
})
