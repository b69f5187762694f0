/**
 * End to end, in process: a real loopback API in five paging styles, the real undici
 * client, Pipeline.run, and a real Postgres (PGlite, and the server with TEST_DATABASE_URL).
 */
import { expect, layer } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { defineConfig } from "../../src/internal/extract/source.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { startStyleApi } from "../support/styleApi.js"

const TOTAL = 137

const configFor = (baseUrl: string, disposition: "merge" | "replace" | "append" = "merge") =>
  defineConfig({
    client: { base_url: baseUrl },
    resource_defaults: { primary_key: "id", write_disposition: disposition },
    resources: [
      { name: "pokeapi_like", endpoint: { path: "link", params: { limit: 20 }, paginator: "json_link", data_selector: "results" } },
      {
        name: "offset_total",
        endpoint: { path: "offset", paginator: { type: "offset", limit: 25 }, data_selector: "items" }
      },
      {
        name: "page_numbers",
        endpoint: {
          path: "pages",
          params: { per_page: 30 },
          paginator: { type: "page_number", base_page: 1, total_path: "total_pages" }
        }
      },
      { name: "cursors_next", endpoint: { path: "cursor", paginator: "cursor" } },
      {
        name: "stripe_like",
        endpoint: {
          path: "stripe",
          paginator: {
            type: "cursor",
            cursor_param: "starting_after",
            cursor_value: "{{ last_record['id'] }}",
            limit: 40,
            stop_condition: "{{ not response['has_more'] }}"
          }
        }
      }
    ]
  })

forEachDatabase((target) => {
  const Live = Layer.mergeAll(target.destination, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("loads every paging style completely, and a second merge run leaves the same rows", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const api = yield* Effect.acquireRelease(Effect.promise(() => startStyleApi(TOTAL)), (a) => Effect.promise(() => a.close()))
        const dataset = yield* freshDataset("styles")
        const source = yield* RestApiSource.make(configFor(api.baseUrl))
        const info = yield* Pipeline.run(source, { dataset })
        expect(info.failed).toBe(false)
        const tables = ["pokeapi_like", "offset_total", "page_numbers", "cursors_next", "stripe_like"]
        const contents = []
        for (const table of tables) {
          const rows = yield* sql.unsafe<{ n: string; min: string; max: string; distinct_ids: string }>(
            `SELECT count(*) AS n, min(id) AS min, max(id) AS max, count(DISTINCT id) AS distinct_ids FROM "${dataset}"."${table}"`
          )
          expect(rows[0], table).toEqual({ n: String(TOTAL), min: "1", max: String(TOTAL), distinct_ids: String(TOTAL) })
          contents.push(
            yield* sql.unsafe(
              `SELECT id, name, created_at, price, details__color, details__size FROM "${dataset}"."${table}" ORDER BY id`
            )
          )
        }
        // Nested objects flatten, lists become child tables, types are inferred.
        const columns = yield* sql.unsafe<{ column_name: string; data_type: string }>(
          `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'offset_total'`,
          [dataset]
        )
        const types = Object.fromEntries(columns.map((c) => [c.column_name, c.data_type]))
        expect(types).toMatchObject({
          id: "bigint",
          name: "text",
          created_at: "timestamp with time zone",
          price: "double precision",
          details__color: "text",
          details__size: "bigint",
          _rc_id: "text",
          _rc_load_id: "text"
        })
        const labels = yield* sql.unsafe<{ n: string }>(`SELECT count(*) AS n FROM "${dataset}"."offset_total__labels"`)
        expect(Number(labels[0].n)).toBe(Array.from({ length: TOTAL }, (_, i): number => ((i + 1) % 4 === 0 ? 0 : 2)).reduce((a, b) => a + b, 0))

        const requestsBefore = api.requests()
        const again = yield* Pipeline.run(source, { dataset })
        expect(again.failed).toBe(false)
        expect(api.requests() - requestsBefore).toBe(requestsBefore)
        for (const [i, table] of tables.entries()) {
          const rows = yield* sql.unsafe(
            `SELECT id, name, created_at, price, details__color, details__size FROM "${dataset}"."${table}" ORDER BY id`
          )
          expect(rows, table).toEqual(contents[i])
        }
        const loads = yield* sql.unsafe<{ n: string }>(`SELECT count(*) AS n FROM "${dataset}"."_rc_loads"`)
        expect(loads[0].n).toBe("10")
      }))

    it.scoped("replace leaves exactly the last run's rows; append adds them", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const api = yield* Effect.acquireRelease(Effect.promise(() => startStyleApi(40)), (a) => Effect.promise(() => a.close()))
        const dataset = yield* freshDataset("disp")
        const count = (table: string) =>
          Effect.map(sql.unsafe<{ n: string }>(`SELECT count(*) AS n FROM "${dataset}"."${table}"`), (r) => Number(r[0].n))
        const replace = yield* RestApiSource.make(configFor(api.baseUrl, "replace"))
        yield* Pipeline.run(replace, { dataset, resources: ["offset_total"] })
        yield* Pipeline.run(replace, { dataset, resources: ["offset_total"] })
        expect(yield* count("offset_total")).toBe(40)
        expect(yield* count("offset_total__labels")).toBe(60)
        const append = yield* RestApiSource.make(configFor(api.baseUrl, "append"))
        yield* Pipeline.run(append, { dataset, resources: ["offset_total"] })
        expect(yield* count("offset_total")).toBe(80)
        expect(yield* count("offset_total__labels")).toBe(120)
      }))
  })
})
