/**
 * Schema evolution end to end: load, change the API's data (a new field, a value of another
 * type, a nested list that appears, rows deleted with hard_delete), load again; then a
 * frozen contract refuses the next change and leaves the tables as they were.
 */
import { expect, layer } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { forEachDatabase, freshDataset } from "../support/database.js"

/** A one-page API whose records the test replaces between runs. */
const mutableApi = Effect.acquireRelease(
  Effect.async<{ readonly baseUrl: string; readonly set: (records: ReadonlyArray<unknown>) => void; readonly close: () => void }>(
    (resume) => {
      let records: ReadonlyArray<unknown> = []
      const server = createServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ items: records }))
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(Effect.succeed({
          baseUrl: `http://127.0.0.1:${port}/`,
          set: (next) => {
            records = next
          },
          close: () => server.close()
        }))
      })
    }
  ),
  (api) => Effect.sync(() => api.close())
)

const config = (baseUrl: string, contract?: "freeze") => ({
  client: { base_url: baseUrl },
  resources: [{
    name: "products",
    primary_key: "id",
    write_disposition: "merge" as const,
    columns: { deleted: { hard_delete: true, data_type: "bool" as const } },
    ...(contract === undefined ? {} : { schema_contract: contract }),
    endpoint: { path: "products", data_selector: "items", paginator: "single_page" as const }
  }]
})

forEachDatabase((target) => {
  const Live = Layer.mergeAll(target.destination, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("new fields add columns, misfits go to variant columns, hard_delete removes rows, a frozen contract refuses change", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const api = yield* mutableApi
        const dataset = yield* freshDataset("evo")
        const columns = () =>
          Effect.map(
            sql.unsafe<{ column_name: string; data_type: string }>(
              `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'products'`,
              [dataset]
            ),
            (rows) => Object.fromEntries(rows.map((r) => [r.column_name, r.data_type]))
          )

        api.set([
          { id: 1, name: "lamp", price: 10.5, note: null },
          { id: 2, name: "desk", price: 99.5, note: null },
          { id: 3, name: "chair", price: 45, note: null }
        ])
        const first = yield* Pipeline.run(yield* RestApiSource.make(config(api.baseUrl)), { dataset })
        expect(first.failed, first.resources[0].error?.message).toBe(false)
        const before = yield* columns()
        expect(before).toMatchObject({ id: "bigint", name: "text", price: "double precision", deleted: "boolean" })
        expect(before).not.toHaveProperty("note") // only ever null: not created (dlt's rule)

        api.set([
          { id: 1, name: "lamp", price: "call us", color: "red", note: "new", tags: ["a", "b"] },
          { id: 2, deleted: true },
          { id: 4, name: "shelf", price: 20, color: "oak" }
        ])
        const second = yield* Pipeline.run(yield* RestApiSource.make(config(api.baseUrl)), { dataset })
        expect(second.failed, second.resources[0].error?.message).toBe(false)
        const after = yield* columns()
        expect(after).toMatchObject({ color: "text", note: "text", price__v_text: "text" })
        const rows = yield* sql.unsafe<{ id: string; name: string; price: number | null; price__v_text: string | null }>(
          `SELECT id, name, price, price__v_text FROM "${dataset}".products ORDER BY id`
        )
        expect(rows.map((r) => r.id)).toEqual(["1", "3", "4"])
        expect(rows[0]).toMatchObject({ price: null, price__v_text: "call us" })
        const tags = yield* sql.unsafe<{ n: string }>(`SELECT count(*) AS n FROM "${dataset}".products__tags`)
        expect(tags[0].n).toBe("2")

        const frozenSnapshot = yield* sql.unsafe(`SELECT * FROM "${dataset}".products ORDER BY id`)
        api.set([{ id: 5, name: "stool", brand_new_field: 1 }])
        const frozen = yield* Pipeline.run(yield* RestApiSource.make(config(api.baseUrl, "freeze")), { dataset })
        expect(frozen.failed).toBe(true)
        expect(frozen.resources[0].error?.message).toMatch(/freeze/)
        expect(yield* sql.unsafe(`SELECT * FROM "${dataset}".products ORDER BY id`)).toEqual(frozenSnapshot)
      }))

    it.scoped("scd2 through the pipeline: a row version column, named validity columns, an active record date", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const api = yield* mutableApi
        const dataset = yield* freshDataset("scd2")
        const scd2Config = {
          client: { base_url: api.baseUrl },
          resources: [{
            name: "prices",
            write_disposition: {
              disposition: "merge" as const,
              strategy: "scd2",
              validity_column_names: ["validFrom", "validTo"],
              active_record_timestamp: "9999-12-31",
              row_version_column_name: "revision"
            },
            endpoint: { path: "prices", data_selector: "items", paginator: "single_page" as const }
          }]
        }
        const versions = () =>
          sql.unsafe<{ v: string }>(
            `SELECT _rc_id || ' ' || sku || ' ' || price || ' ' || (valid_to = '9999-12-31'::timestamptz) AS v
             FROM "${dataset}".prices ORDER BY valid_from, _rc_id`
          ).pipe(Effect.map((rows) => rows.map((r) => r.v)))

        api.set([{ sku: "a", price: 1, revision: "a1" }, { sku: "b", price: 2, revision: "b1" }])
        const first = yield* Pipeline.run(yield* RestApiSource.make(scd2Config), { dataset })
        expect(first.failed, first.resources[0].error?.message).toBe(false)
        expect(yield* versions()).toEqual(["a1 a 1 true", "b1 b 2 true"])

        // a gets a new revision, b disappears: a1 and b1 retire, a2 is current.
        api.set([{ sku: "a", price: 3, revision: "a2" }])
        const second = yield* Pipeline.run(yield* RestApiSource.make(scd2Config), { dataset })
        expect(second.failed, second.resources[0].error?.message).toBe(false)
        expect((yield* versions()).sort()).toEqual(["a1 a 1 false", "a2 a 3 true", "b1 b 2 false"])
      }))
  })
})
