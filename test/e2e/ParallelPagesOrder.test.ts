/**
 * Parallel pages keep the order-sensitive features' meaning: a loopback offset API whose later
 * pages answer first (so pages complete out of order) is loaded with the default concurrency
 * and with `concurrency: 1`, and the tables and incremental state come out the same: merge with
 * `dedup_sort` (or, without it, the last in the API's order) keeps the same duplicate, the incremental cursor is the run's maximum, scd2 and
 * boundary deduplication agree.
 */
import { expect, layer } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { defineConfig } from "../../src/internal/extract/source.js"
import { startCountingServer } from "../support/countingServer.js"
import { forEachDatabase, freshDataset } from "../support/database.js"

const TOTAL = 300
const LIMIT = 20
const PAGES = TOTAL / LIMIT

/** Record i: id i % 100 (each id three times, on pages far apart), `updated` i. */
const recordAt = (i: number) => ({ id: i % 100, updated: i, v: `v${i}` })

/** The offset API; page k answers after (PAGES - k) × 4 ms, so the last pages arrive first. */
const startApi = () =>
  startCountingServer((url) => {
    const offset = Number(url.searchParams.get("offset") ?? 0)
    const limit = Number(url.searchParams.get("limit") ?? LIMIT)
    const items = Array.from({ length: Math.max(0, Math.min(limit, TOTAL - offset)) }, (_, k) => recordAt(offset + k))
    return { body: { items, total: TOTAL }, delayMillis: (PAGES - offset / LIMIT) * 4 }
  })

const configFor = (baseUrl: string, concurrency: number) => {
  const endpoint = { path: "items", data_selector: "items", paginator: { type: "offset" as const, limit: LIMIT, concurrency } }
  return defineConfig({
    client: { base_url: baseUrl },
    resources: [
      {
        name: "deduped",
        primary_key: "id",
        write_disposition: "merge",
        columns: { updated: { dedup_sort: "desc" } },
        endpoint
      },
      // Without dedup_sort the last duplicate in the stream wins: order-sensitive.
      { name: "last_wins", primary_key: "id", write_disposition: "merge", endpoint },
      {
        name: "last_seen",
        primary_key: "id",
        write_disposition: "merge",
        endpoint: { ...endpoint, incremental: { cursor_path: "updated", initial_value: 150 } }
      },
      {
        name: "history",
        primary_key: "id",
        write_disposition: { disposition: "merge", strategy: "scd2" },
        endpoint
      }
    ]
  })
}

forEachDatabase((target) => {
  const Live = Layer.mergeAll(target.destination, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("pages completing out of order load what one page at a time loads: dedup_sort, incremental cursor, scd2", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const api = yield* Effect.acquireRelease(Effect.promise(startApi), (a) => Effect.promise(() => a.close()))
        const load = (concurrency: number) =>
          Effect.gen(function*() {
            const dataset = yield* freshDataset(`order${concurrency}`)
            const source = yield* RestApiSource.make(configFor(api.url, concurrency))
            const info = yield* Pipeline.run(source, { dataset })
            expect(info.failed, JSON.stringify(info.resources.map((r) => r.error?.message))).toBe(false)
            const rows = (table: string, columns: string) =>
              sql.unsafe<{ readonly id: number; readonly updated: number; readonly v: string; readonly _rc_id: string }>(`SELECT ${columns} FROM "${dataset}"."${table}" ORDER BY 1, 2`)
            const state = yield* sql.unsafe<{ resource: string; state: unknown }>(
              `SELECT resource, state FROM "${dataset}"._rc_state ORDER BY resource`
            )
            return {
              deduped: yield* rows("deduped", "id::int AS id, updated::int AS updated, v, _rc_id"),
              lastWins: yield* rows("last_wins", "id::int AS id, updated::int AS updated, v, _rc_id"),
              lastSeen: yield* rows("last_seen", "id::int AS id, updated::int AS updated, v, _rc_id"),
              history: yield* rows("history", "id::int AS id, updated::int AS updated, v, _rc_id"),
              state
            }
          })
        const parallel = yield* load(8)
        expect(api.most()).toBeGreaterThan(1)
        const sequential = yield* load(1)
        expect(parallel).toEqual(sequential)
        // dedup_sort desc keeps each id's latest record, wherever its page landed in time.
        expect(parallel.deduped).toHaveLength(100)
        expect(parallel.deduped[0]).toMatchObject({ id: 0, updated: 200, v: "v200" })
        expect(parallel.deduped[99]).toMatchObject({ id: 99, updated: 299, v: "v299" })
        // The last in the API's order, although its page arrived first.
        expect(parallel.lastWins.map((r) => r.v)).toEqual(parallel.deduped.map((r) => r.v))
        // The incremental cursor is the run's maximum; records before initial_value are filtered.
        expect(parallel.lastSeen).toHaveLength(100)
        expect(JSON.stringify(parallel.state)).toContain("299")
      }))
  })
})
