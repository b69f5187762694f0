/**
 * A sync as a durable workflow, on the in-memory workflow engine: each resource tree is an
 * activity whose commits carry its idempotency key; the same request again joins the first
 * execution; a config changed after submission is refused. Both databases, a loopback API.
 */
import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { NodeHttpClient } from "@effect/platform-node"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import { ConfigProvider, Duration, Effect, Layer } from "effect"
import { writeFile } from "node:fs/promises"
import * as Sync from "../../src/internal/cluster/syncWorkflow.js"
import * as Source from "../../src/internal/extract/source.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import { Destination, DestinationError } from "../../src/internal/load/destination.js"
import { type DatabaseTarget, forEachDatabase, freshDataset } from "../support/database.js"
import { scopedConfigFile } from "../support/configFile.js"
import { serveJson } from "../support/loopback.js"
import { syncOnMemoryEngine } from "../support/syncEngine.js"

const configFor = (baseUrl: string) => ({
  client: { base_url: baseUrl },
  resources: [
    { name: "users", primary_key: "id", write_disposition: "merge", endpoint: { path: "users", paginator: "single_page" } },
    {
      name: "user_posts",
      primary_key: "id",
      endpoint: { path: "users/{resources.users.id}/posts", paginator: "single_page" }
    },
    { name: "tags", primary_key: "id", endpoint: { path: "tags", paginator: "single_page" } }
  ]
})

forEachDatabase((target) => {
  // The runner's environment: the tenants' tokens under their prefixes (a tree runs in the
  // queue worker, which reads its layer's ConfigProvider, not the one around `execute`).
  const Live = syncOnMemoryEngine(target).pipe(
    Layer.provide(Layer.setConfigProvider(
      ConfigProvider.fromMap(new Map([["ACME_EU_API_TOKEN", "acme-token"], ["GLOBEX_API_TOKEN", "globex-token"]]), { pathDelim: "_" })
    ))
  )

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("each resource tree is an activity; the same request joins the first execution; a changed config is refused", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const api = yield* serveJson((url) => {
          if (url.pathname === "/users") return { body: [{ id: 1, name: "a" }, { id: 2, name: "b" }] }
          if (url.pathname === "/tags") return { body: [{ id: "t1" }] }
          const user = url.pathname.split("/")[2]
          return { body: [{ id: `${user}-p1` }, { id: `${user}-p2` }] }
        })
        const config = yield* scopedConfigFile("shop.json", configFor(api.url))
        const dataset = yield* freshDataset("sync")
        const request = { config, configHash: yield* Sync.configHash(config), dataset, tenant: "", run: "manual-1" }
        const result = yield* Sync.SyncWorkflow.execute(request)
        expect(result.resources.map((r) => [r.resource, r.status, r.rows, r.committedEarlier])).toEqual([
          ["users", "committed", 2, false],
          ["user_posts", "committed", 4, false],
          ["tags", "committed", 1, false]
        ])
        // Submitted again: the same execution, nothing loaded twice.
        const again = yield* Sync.SyncWorkflow.execute(request)
        expect(again).toEqual(result)
        const loads = yield* sql.unsafe<{ n: string }>(`SELECT count(*) AS n FROM "${dataset}"._rc_loads`)
        expect(Number(loads[0]?.n)).toBe(3)
        const keys = yield* sql.unsafe<{ commit_key: string }>(`SELECT commit_key FROM "${dataset}"._rc_commits ORDER BY commit_key`)
        // `<activity's idempotency key>/<resource>`: the users tree's two resources share their activity's.
        expect(keys.map((k) => k.commit_key.split("/").at(-1)).sort()).toEqual(["tags", "user_posts", "users"])
        const activity = (resource: string) => keys.find((k) => k.commit_key.endsWith(`/${resource}`))?.commit_key.slice(0, -resource.length - 1)
        expect(activity("users")).toBe(activity("user_posts"))
        expect(activity("users")).not.toBe(activity("tags"))
        // The file changed after this request was made: refused, with the reason.
        yield* Effect.promise(() => writeFile(config, JSON.stringify({ ...configFor(api.url), resources: [] })))
        const refused = yield* Effect.flip(Sync.SyncWorkflow.execute({ ...request, run: "manual-2" }))
        expect(refused.message).toContain("not the config that was submitted")
      }))

    it.scoped("tenants: one config, each tenant's secrets from its own prefix, each sync its own execution", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const seen: Array<string> = []
        const api = yield* serveJson((url) => {
          seen.push(url.searchParams.get("token") ?? "")
          return { body: [{ id: url.searchParams.get("token") }] }
        })
        const config = yield* scopedConfigFile("accounts.json", {
          client: { base_url: api.url, auth: { type: "api_key", name: "token", location: "query", api_key: { secret: "API_TOKEN" } } },
          resources: [{ name: "accounts", primary_key: "id", endpoint: { path: "accounts", paginator: "single_page" } }]
        })
        const configHash = yield* Sync.configHash(config)
        for (const tenant of ["acme-eu", "globex"]) {
          const dataset = yield* freshDataset(`tenant_${tenant.slice(0, 4)}`)
          const result = yield* Sync.SyncWorkflow.execute({ config, configHash, dataset, tenant, run: "r1" })
          expect(result.resources[0]).toMatchObject({ resource: "accounts", status: "committed", rows: 1 })
          const ids = yield* sql.unsafe<{ id: string }>(`SELECT id FROM "${dataset}".accounts`)
          expect(ids.map((r) => r.id)).toEqual([tenant === "acme-eu" ? "acme-token" : "globex-token"])
        }
        expect(seen).toEqual(["acme-token", "globex-token"])
      }))

    it.scoped("a retried tree resumes at its first uncommitted resource: what an earlier attempt committed is not read again", () =>
      Effect.gen(function*() {
        const paths: Array<string> = []
        const api = yield* serveJson((url) => {
          paths.push(url.pathname)
          if (url.pathname === "/users") return { body: [{ id: 1 }, { id: 2 }] }
          if (url.pathname === "/tags") return { body: [{ id: "t1" }] }
          return { body: [{ id: `${url.pathname.split("/")[2]}-p1` }] }
        })
        const config = yield* scopedConfigFile("shop.json", configFor(api.url))
        const dataset = yield* freshDataset("resume")
        const request = { config, configHash: yield* Sync.configHash(config), dataset, tenant: "", run: "manual-1" }
        // An earlier attempt of this execution committed `users` and `tags` under their
        // activities' keys, then its runner died before the engine recorded the activities.
        const executionId = yield* Sync.SyncWorkflow.executionId(request)
        const [usersKey, tagsKey] = [`${executionId}/tree/users`, `${executionId}/tree/tags`]
        const source = yield* Source.fromFile(config)
        const first = yield* Pipeline.run(source, { dataset, resources: ["users", "tags"], commitKey: (r) => `${r === "tags" ? tagsKey : usersKey}/${r}` })
        paths.length = 0
        const result = yield* Sync.SyncWorkflow.execute(request)
        expect(result.resources.map((r) => [r.resource, r.status, r.committedEarlier, r.loadId === first.loadId])).toEqual([
          ["users", "committed", true, true],
          ["user_posts", "committed", false, false],
          ["tags", "committed", true, true]
        ])
        // The tags tree read nothing; users were read once more only as user_posts' parent.
        expect(paths.sort()).toEqual(["/users", "/users/1/posts", "/users/2/posts"])
      }))
  })
})

/** The workflow on the in-memory engine over `fake`, a wrapper of the real destination. */
const overFakeDestination = (target: DatabaseTarget, fake: Layer.Layer<Destination, never, Destination>) =>
  Sync.layer.pipe(
    Layer.provide(Sync.memoryQueue),
    Layer.provideMerge(WorkflowEngine.layerMemory),
    Layer.provideMerge(Layer.mergeAll(
      fake.pipe(Layer.provide(target.destination)),
      ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))
    )),
    Layer.provideMerge(target.layer)
  )

// A destination whose catalog cannot be read (a fake over the real one) for the next
// `failuresLeft` reads: the tree cannot run until it recovers.
let failuresLeft = 0
let catalogReads = 0
const flakyCatalog = Layer.effect(
  Destination,
  Effect.map(Destination, (real) => ({
    ...real,
    storedTables: (dataset: string) =>
      Effect.suspend(() => {
        catalogReads++
        return failuresLeft-- > 0 ? Effect.fail(new DestinationError({ message: "the catalog cannot be read", dataset })) : real.storedTables(dataset)
      })
  }))
)

forEachDatabase((target) => {
  // The retry policy reaches the workflow through its layer: a workflow that suspended (its
  // tree queued) resumes in the engine's context, not in the caller's.
  const Live = overFakeDestination(target, flakyCatalog).pipe(
    Layer.provide(Layer.succeed(Sync.TreeRetries, { times: 2, firstDelay: Duration.millis(10) }))
  )

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    const brokenSync = (run: string) =>
      Effect.gen(function*() {
        const api = yield* serveJson(() => ({ body: [{ id: 1 }] }))
        const config = yield* scopedConfigFile("broken.json", {
          client: { base_url: api.url },
          resources: [{ name: "items", endpoint: { path: "items", paginator: "single_page" } }]
        })
        const dataset = yield* freshDataset("sync_broken")
        return { config, configHash: yield* Sync.configHash(config), dataset, tenant: "", run }
      })

    it.scoped("a tree that cannot run is tried again, then fails the workflow with a typed SyncError naming the tree", () =>
      Effect.gen(function*() {
        const request = yield* brokenSync("manual-1")
        failuresLeft = Number.POSITIVE_INFINITY
        catalogReads = 0
        const error = yield* Effect.flip(Sync.SyncWorkflow.execute(request))
        expect(error).toBeInstanceOf(Sync.SyncError)
        expect(error.message).toBe("resource tree 'items': the catalog cannot be read")
        expect(catalogReads).toBe(3)
      }))

    it.scoped("a destination that recovers (Postgres back after a restart): the retried tree commits", () =>
      Effect.gen(function*() {
        const request = yield* brokenSync("manual-2")
        failuresLeft = 2
        catalogReads = 0
        const result = yield* Sync.SyncWorkflow.execute(request)
        expect(result.resources.map((r) => [r.resource, r.status, r.rows])).toEqual([["items", "committed", 1]])
        expect(catalogReads).toBeGreaterThanOrEqual(3)
      }))
  })
})

// A destination whose next `commitsLost` commits lose their connection: the first one after
// the server had committed (the worst case: the rows are in, the runner cannot know), the
// next before (nothing committed).
let commitsLost = 0
const lossyCommits = Layer.effect(
  Destination,
  Effect.map(Destination, (real) => ({
    ...real,
    commitLoads: (loads, options) =>
      Effect.suspend(() => {
        if (commitsLost <= 0) return real.commitLoads(loads, options)
        const lost = new DestinationError({
          message: "the connection to the database was lost during the commit",
          dataset: "",
          reason: "ConnectionLostInCommit"
        })
        return commitsLost-- === 2 ? Effect.zipRight(real.commitLoads(loads, options), Effect.fail(lost)) : Effect.fail(lost)
      })
  }))
)

forEachDatabase((target) => {
  const Live = overFakeDestination(target, lossyCommits).pipe(
    Layer.provide(Layer.succeed(Sync.TreeRetries, { times: 3, firstDelay: Duration.millis(10) }))
  )

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("a connection lost in a commit tries the tree again: a commit that went through is not made twice", () =>
      Effect.gen(function*() {
        const api = yield* serveJson(() => ({ body: [{ id: 1 }, { id: 2 }] }))
        const config = yield* scopedConfigFile("lossy.json", {
          client: { base_url: api.url },
          resources: [
            { name: "items", write_disposition: "append", endpoint: { path: "items", paginator: "single_page" } },
            { name: "more", write_disposition: "append", endpoint: { path: "more", paginator: "single_page" } }
          ]
        })
        const dataset = yield* freshDataset("sync_lossy")
        const request = { config, configHash: yield* Sync.configHash(config), dataset, tenant: "", run: "lossy" }
        commitsLost = 2
        const result = yield* Sync.SyncWorkflow.execute(request)
        // items: committed on its first try (the lost reply), found under its key on the
        // second. more: its first commit never happened, its retry commits.
        expect(result.resources.map((r) => [r.resource, r.status, r.committedEarlier])).toEqual([
          ["items", "committed", true],
          ["more", "committed", false]
        ])
        const sql = yield* SqlClient.SqlClient
        const counts = yield* sql.unsafe<{ n: number }>(
          `SELECT (SELECT count(*) FROM "${dataset}".items)::int + (SELECT count(*) FROM "${dataset}".more)::int * 100 AS n`
        )
        expect(counts[0]?.n).toBe(2 + 200)
      }))
  })
})
