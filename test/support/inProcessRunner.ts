/**
 * A cluster runner inside the test process, on the Postgres server at `url`: the cluster's
 * storage, a socket on a free loopback port, and in context the datasets' `SqlClient`, the
 * Postgres `Destination` and an `ApiClient`, as `rest-connector worker` has them.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, Redacted } from "effect"
import { clusterDatabase, runnerLayer } from "../../src/internal/cluster/runner.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as PgPool from "../../src/internal/load/pgPool.js"
import * as PostgresDestination from "../../src/internal/load/postgresDestination.js"
import * as Sync from "../../src/internal/cluster/syncWorkflow.js"
import { scopedConfigFile } from "./configFile.js"
import { freshDataset } from "./database.js"
import { serveJson } from "./loopback.js"
import { freePort } from "./ports.js"

export const inProcessRunner = (url: string) =>
  Layer.unwrapEffect(Effect.map(Effect.promise(freePort), (port) =>
    runnerLayer({ host: "127.0.0.1", port }, clusterDatabase(Redacted.make(url))).pipe(
      Layer.provideMerge(Layer.mergeAll(PostgresDestination.layer, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici)))),
      Layer.provideMerge(PgPool.layerPool({ url: Redacted.make(url), maxConnections: 8 }))
    )))

/** A sync of three users from a loopback API into a fresh dataset (dropped with the scope). */
export const usersSyncRequest = (prefix: string) =>
  Effect.gen(function*() {
    const api = yield* serveJson((url) => ({ body: url.pathname === "/users" ? [{ id: 1 }, { id: 2 }, { id: 3 }] : [] }))
    const config = yield* scopedConfigFile("users.json", {
      client: { base_url: api.url },
      resources: [{ name: "users", primary_key: "id", endpoint: { path: "users", paginator: "single_page" } }]
    })
    const dataset = yield* freshDataset(prefix)
    return { config, configHash: yield* Sync.configHash(config), dataset, tenant: "", run: "manual-1", params: {} }
  })
