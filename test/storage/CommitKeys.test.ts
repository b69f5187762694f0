/**
 * A resource commit with a key (a durable workflow activity's id) commits once: a second run
 * with the same key, as an activity retried after its first try committed, rolls back and
 * answers with the first commit; rows, state and `_rc_loads` stay as they were. On both
 * databases, through Pipeline.run against a loopback API.
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
import { serveJson } from "../support/loopback.js"

const configFor = (baseUrl: string) =>
  defineConfig({
    client: { base_url: baseUrl },
    resources: [
      {
        name: "events",
        primary_key: "id",
        write_disposition: "append",
        endpoint: { path: "events", paginator: "single_page", incremental: { cursor_path: "n", initial_value: 0 } }
      }
    ]
  })

forEachDatabase((target) => {
  const Live = Layer.mergeAll(target.destination, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("a commit key commits once: the same key again rolls back and answers with the first commit", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        let version = 1
        const api = yield* serveJson(() => ({ body: [1, 2, 3].map((n) => ({ id: `${version}-${n}`, n: version * 10 + n })) }))
        const dataset = yield* freshDataset("commitkeys")
        const source = yield* RestApiSource.make(configFor(api.url))
        const first = yield* Pipeline.run(source, { dataset, commitKey: (r) => `sync-1/${r}` })
        expect(first.resources[0]).toMatchObject({ status: "committed", rowsPerTable: { events: 3 } })
        expect(first.resources[0]?.committedEarlier).toBeUndefined()

        // The activity again, after its first try committed (the API has moved on meanwhile).
        version = 2
        const retried = yield* Pipeline.run(source, { dataset, commitKey: (r) => `sync-1/${r}` })
        expect(retried.resources[0]).toMatchObject({ status: "committed", rowsPerTable: { events: 3 }, committedEarlier: first.loadId })
        const ids = yield* sql.unsafe<{ id: string }>(`SELECT id FROM "${dataset}".events ORDER BY id`)
        expect(ids.map((r) => r.id)).toEqual(["1-1", "1-2", "1-3"])
        const loads = yield* sql.unsafe<{ load_id: string }>(`SELECT load_id FROM "${dataset}"._rc_loads WHERE resource = 'events'`)
        expect(loads.map((r) => r.load_id)).toEqual([first.loadId])
        const state = yield* sql.unsafe<{ state: unknown }>(`SELECT state FROM "${dataset}"._rc_state WHERE resource = 'events'`)
        expect(JSON.stringify(state[0]?.state)).toContain("13")

        // Another key (the next sync) commits.
        const next = yield* Pipeline.run(source, { dataset, commitKey: (r) => `sync-2/${r}` })
        expect(next.resources[0]?.committedEarlier).toBeUndefined()
        const after = yield* sql.unsafe<{ n: string }>(`SELECT count(*) AS n FROM "${dataset}".events`)
        expect(Number(after[0]?.n)).toBe(6)
        const keys = yield* sql.unsafe<{ commit_key: string }>(`SELECT commit_key FROM "${dataset}"._rc_commits ORDER BY commit_key`)
        expect(keys.map((r) => r.commit_key)).toEqual(["sync-1/events", "sync-2/events"])
      }))
  })
})
