/**
 * Strings holding NUL (U+0000), which Postgres text and jsonb cannot store, do not fail the
 * resource: each NUL is stored as U+FFFD, wherever the string lands (a column, a flattened
 * column, a child table, a jsonb value), and the run counts them. On both databases (COPY
 * staging on the server, INSERTs on the embedded one).
 */
import { expect, layer } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer } from "effect"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { serveJson } from "../support/loopback.js"

const records = [
  { id: 1, name: "a\u0000b", meta: { note: "\u0000start" }, tags: ["x\u0000", "plain"], deep: { inner: { list: ["\u0000\u0000"] } } },
  { id: 2, name: "clean", meta: { note: "fine" }, tags: [], deep: { inner: { list: [] } } }
]

forEachDatabase((target) => {
  const Live = Layer.mergeAll(target.destination, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(
    Layer.provideMerge(target.layer)
  )

  layer(Live, { excludeTestServices: true })((it) => {
    it.scoped("NUL characters are stored as U+FFFD in every kind of column, counted, and the resource commits", () =>
      Effect.gen(function*() {
        const api = yield* serveJson(() => ({ body: records }))
        const dataset = yield* freshDataset("nul")
        const source = yield* RestApiSource.make({
          client: { base_url: api.url, paginator: "single_page" },
          // Nesting 1: `deep.inner` is kept whole, as jsonb.
          resources: [{ name: "items", primary_key: "id", write_disposition: "merge", max_table_nesting: 1, endpoint: { path: "items" } }]
        })
        const info = yield* Pipeline.run(source, { dataset })
        expect(info.failed, info.resources[0]?.error?.message).toBe(false)
        expect(info.resources[0]?.replacedNuls).toBe(5)
        const sql = yield* SqlClient.SqlClient
        const [item] = yield* sql.unsafe<{ name: string; note: string; inner: string }>(
          `SELECT name, meta__note AS note, deep__inner::text AS inner FROM "${dataset}".items WHERE id = 1`
        )
        expect(item).toEqual({ name: "a\uFFFDb", note: "\uFFFDstart", inner: "{\"list\": [\"\uFFFD\uFFFD\"]}" })
        const tags = yield* sql.unsafe<{ value: string }>(`SELECT value FROM "${dataset}".items__tags ORDER BY _rc_list_idx`)
        expect(tags.map((t) => t.value)).toEqual(["x\uFFFD", "plain"])
      }))
  })
})
