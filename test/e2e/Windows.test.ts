/**
 * Incremental windows (ours, dlt#3223): an API that wants both ends of a date range, and at most
 * a week per request, loaded window by window through Pipeline.run into a real Postgres
 * (PGlite, and the server with TEST_DATABASE_URL) from a loopback server.
 */
import { expect, layer } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer } from "effect"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { serveJson } from "../support/loopback.js"

const day = 86_400_000
const first = Date.parse("2024-01-01T00:00:00Z")
/** One event a day, January 2024 (28 of them). */
const events = Array.from({ length: 28 }, (_, i) => ({ id: i + 1, at: new Date(first + i * day).toISOString() }))

/** `GET /events?from=&to=`: both required, at most 7 days apart; the events in [from, to). Records the ranges asked for. */
const rangeApi = Effect.gen(function*() {
  const ranges: Array<readonly [string, string]> = []
  const server = yield* serveJson((url) => {
    const from = Date.parse(url.searchParams.get("from") ?? "")
    const to = Date.parse(url.searchParams.get("to") ?? "")
    if (Number.isNaN(from) || Number.isNaN(to) || to - from > 7 * day) {
      return { status: 400, body: { error: "from and to are required, at most 7 days apart" } }
    }
    ranges.push([url.searchParams.get("from") ?? "", url.searchParams.get("to") ?? ""])
    return { body: events.filter((e) => Date.parse(e.at) >= from && Date.parse(e.at) < to) }
  })
  return { url: server.url, ranges }
})

const config = (baseUrl: string, incremental: Record<string, unknown>) => ({
  client: { base_url: baseUrl },
  resources: [{
    name: "events",
    primary_key: "id",
    write_disposition: "merge" as const,
    endpoint: {
      path: "events",
      paginator: "single_page" as const,
      params: { from: "{incremental.start_value}", to: "{incremental.end_value}" },
      incremental: { cursor_path: "at", window: "7 days", ...incremental }
    }
  }]
})

const count = (dataset: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM "${dataset}".events`)).pipe(
    Effect.map((rows) => rows[0].n)
  )

forEachDatabase((target) => {
  const Live = Layer.mergeAll(target.destination, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("a range with an end_value is requested in windows of 7 days, each with its own end", () =>
      Effect.gen(function*() {
        const api = yield* rangeApi
        const dataset = yield* freshDataset("win")
        const source = yield* RestApiSource.make(
          config(api.url, { initial_value: "2024-01-01T00:00:00Z", end_value: "2024-01-29T00:00:00Z" })
        )
        const info = yield* Pipeline.run(source, { dataset })
        expect(info.failed, info.resources.map((r) => r.error?.message).join("; ")).toBe(false)
        expect(api.ranges).toEqual([
          ["2024-01-01T00:00:00.000Z", "2024-01-08T00:00:00.000Z"],
          ["2024-01-08T00:00:00.000Z", "2024-01-15T00:00:00.000Z"],
          ["2024-01-15T00:00:00.000Z", "2024-01-22T00:00:00.000Z"],
          ["2024-01-22T00:00:00.000Z", "2024-01-29T00:00:00.000Z"]
        ])
        expect(yield* count(dataset)).toBe(28)
        expect(info.resources[0].pages).toBe(4)
      }))

    it.scoped("without an end_value the windows run up to now, and the next run starts from the stored cursor", () =>
      Effect.gen(function*() {
        const api = yield* rangeApi
        const dataset = yield* freshDataset("win")
        // From 2024-01-01 to today in weeks: about a hundred and fifty requests.
        const source = yield* RestApiSource.make(config(api.url, { initial_value: "2024-01-01T00:00:00Z" }))
        const info = yield* Pipeline.run(source, { dataset })
        expect(info.failed, info.resources.map((r) => r.error?.message).join("; ")).toBe(false)
        expect(yield* count(dataset)).toBe(28)
        const firstRun = api.ranges.length
        expect(api.ranges[0]).toEqual(["2024-01-01T00:00:00.000Z", "2024-01-08T00:00:00.000Z"])
        // The last window ends now (within the test's minutes).
        expect(Date.now() - Date.parse(api.ranges[firstRun - 1][1])).toBeLessThan(600_000)

        const second = yield* Pipeline.run(source, { dataset })
        expect(second.failed).toBe(false)
        // The stored cursor is the last event's date: the second run's first window starts there.
        expect(api.ranges[firstRun]).toEqual(["2024-01-28T00:00:00.000Z", "2024-02-04T00:00:00.000Z"])
        expect(yield* count(dataset)).toBe(28)
      }))

    it.scoped("a start value that is no date-time fails the resource, naming the window", () =>
      Effect.gen(function*() {
        const api = yield* rangeApi
        const dataset = yield* freshDataset("win")
        const source = yield* RestApiSource.make(config(api.url, { initial_value: 5 }))
        const info = yield* Pipeline.run(source, { dataset })
        expect(info.failed).toBe(true)
        expect(info.resources[0].error?.message).toMatch(/incremental window: a duration window needs a date-time start value, found 5/)
        expect(api.ranges).toEqual([])
      }))
  })
})
