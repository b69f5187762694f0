/**
 * Two runs loading the same resource of a dataset at once (two terminals, overlapping cron
 * jobs) take turns: the second waits for the first, says so, and starts from the state the
 * first stored, so an incremental append loads every record once. Through Pipeline.run against
 * a slow API on loopback, into PGlite and (with TEST_DATABASE_URL) a server: two runs in one
 * process, and on the server two runs over two pools, as two processes would be.
 */
import { describe, expect, layer } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, identity, Layer, Logger, LogLevel, Redacted } from "effect"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import type { Destination } from "../../src/internal/load/destination.js"
import * as PgPool from "../../src/internal/load/pgPool.js"
import * as PostgresDestination from "../../src/internal/load/postgresDestination.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import { databaseTargets, forEachDatabase, freshDataset } from "../support/database.js"
import { serveJson } from "../support/loopback.js"

/** Six items, two per page, each page 100 ms late; `since` leaves out the ids up to it. */
const itemsApi = serveJson((url) => {
  const since = Number(url.searchParams.get("since") ?? "0")
  const page = Number(url.searchParams.get("page") ?? "1")
  const items = [1, 2, 3, 4, 5, 6].filter((id) => id > since).map((id) => ({ id, name: `item ${id}` }))
  return { body: { data: items.slice((page - 1) * 2, page * 2), total_pages: Math.max(1, Math.ceil(items.length / 2)) } }
}, { delayMillis: 100 })

const config = (baseUrl: string) => ({
  client: { base_url: baseUrl },
  resources: [{
    name: "items",
    endpoint: {
      path: "items",
      data_selector: "data",
      paginator: { type: "page_number" as const, base_page: 1, total_path: "total_pages" },
      incremental: { cursor_path: "id", initial_value: 0, start_param: "since" }
    }
  }]
})

type Provide = <A, E>(self: Effect.Effect<A, E, Destination | ApiClient.ApiClient>) => Effect.Effect<
  A,
  E | SqlError,
  Destination | ApiClient.ApiClient
>

/** Two runs of one incremental append resource at once, the second through `second`. */
const twoRuns = (second: Provide) =>
  Effect.gen(function*() {
    const api = yield* itemsApi
    const dataset = yield* freshDataset("cr")
    const sql = yield* SqlClient.SqlClient
    const source = yield* RestApiSource.make(config(api.url))
    const warnings: Array<string> = []
    const capture = Logger.make(({ logLevel, message }) => {
      if (logLevel === LogLevel.Warning) warnings.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    const [a, b] = yield* Effect.all([
      Pipeline.run(source, { dataset }),
      second(Pipeline.run(source, { dataset }))
    ], { concurrency: 2 }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)))

    for (const info of [a, b]) expect(info.failed, info.resources.map((r) => r.error?.message).join("; ")).toBe(false)
    // The second run started from the first one's cursor: every item once.
    const ids = yield* sql.unsafe<{ id: string }>(`SELECT id::text FROM "${dataset}".items ORDER BY id`)
    expect(ids.map((r) => r.id)).toEqual(["1", "2", "3", "4", "5", "6"])
    const loads = yield* sql.unsafe<{ load_id: string; rows: string }>(
      `SELECT load_id, rows::text FROM "${dataset}"._rc_loads ORDER BY finished_at`
    )
    expect(loads.map((l) => JSON.parse(l.rows))).toEqual([{ items: 6 }, {}])
    expect(new Set(loads.map((l) => l.load_id)).size).toBe(2)
    expect(warnings.filter((w) => w === `waiting for another run loading ${dataset}.items to finish`)).toHaveLength(1)
  })

const Api = ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))

forEachDatabase((target) => {
  const Live = Layer.mergeAll(target.destination, Api).pipe(Layer.provideMerge(target.layer))
  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("two runs in one process loading one resource take turns, the second from the first one's state", () =>
      twoRuns(identity))
  })
})

const serverUrl = process.env["TEST_DATABASE_URL"]
const server = databaseTargets.find((t) => t.name === "postgres server")
if (server !== undefined && serverUrl !== undefined) {
  describe("postgres server, two pools", () => {
    const Live = Layer.mergeAll(server.destination, Api).pipe(Layer.provideMerge(server.layer))
    // Another pool and lock session, as another process would have.
    const Other = PostgresDestination.layer.pipe(Layer.provide(PgPool.layerPool({ url: Redacted.make(serverUrl), maxConnections: 4 })))
    layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
      it.scoped("two processes loading one resource take turns on an advisory lock, the second from the first one's state", () =>
        twoRuns((self) => Effect.provide(self, Other)))
    })
  })
}
