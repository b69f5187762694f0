/**
 * Keys that normalize alike (`userId`, `user_id`, `UserID`...), keys of other scripts and empty
 * keys, end to end through Pipeline.run on every database: each key keeps its values in a
 * column of its own, `_rc_columns` and `_rc_tables` say which source key each column and child
 * table holds, and the next run, meeting the keys in another order, writes to the same columns.
 */
import { expect, layer } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import { ident } from "../../src/internal/load/identifiers.js"
import { tagOf } from "../../src/internal/normalize/naming.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { serveJson } from "../support/loopback.js"

const loser = (plain: string, source: ReadonlyArray<string>) => `${plain}_${tagOf(JSON.stringify(source))}`

const config = (baseUrl: string) => ({
  client: { base_url: baseUrl },
  resources: [{
    name: "people",
    primary_key: "id",
    write_disposition: "merge" as const,
    endpoint: { path: "people", data_selector: "items", paginator: "single_page" as const }
  }]
})

forEachDatabase((target) => {
  const Live = Layer.mergeAll(target.destination, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(
    Layer.provideMerge(target.layer)
  )

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("colliding keys keep their own columns and child tables across runs, whatever order they come in", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        let records: ReadonlyArray<unknown> = []
        const api = yield* serveJson(() => ({ body: { items: records } }))
        const dataset = yield* freshDataset("names")
        const run = Effect.gen(function*() {
          const info = yield* Pipeline.run(yield* RestApiSource.make(config(api.url)), { dataset })
          expect(info.failed, info.resources[0].error?.message).toBe(false)
        })
        const rows = (table: string, columns: string) =>
          sql.unsafe<Record<string, unknown>>(`SELECT ${columns} FROM ${ident(dataset)}.${ident(table)} ORDER BY 1, 2`)

        records = [
          { id: 1, userId: 10, tags: ["a"], "日本語": "ja", "": "empty" },
          { id: 2, user_id: 20, Tags: ["b"], UserID: 21, "user id": 22 }
        ]
        yield* run
        // The next run meets every colliding key before the one that won its name.
        records = [{ id: 3, "user id": 32, UserID: 31, user_id: 30, Tags: ["c"], tags: ["d"], userId: 33 }]
        yield* run

        const idOf = loser("user_id", ["user_id"])
        const upperOf = loser("user_id", ["UserID"])
        const spacedOf = loser("user_id", ["user id"])
        expect(yield* rows("people", `id::text, user_id::text, ${ident(idOf)}::text AS a, ${ident(upperOf)}::text AS b, ${ident(spacedOf)}::text AS c`))
          .toEqual([
            { id: "1", user_id: "10", a: null, b: null, c: null },
            { id: "2", user_id: null, a: "20", b: "21", c: "22" },
            { id: "3", user_id: "33", a: "30", b: "31", c: "32" }
          ])
        expect(yield* rows("people", `id::text, "日本語", _empty`)).toEqual([
          { id: "1", "日本語": "ja", _empty: "empty" },
          { id: "2", "日本語": null, _empty: null },
          { id: "3", "日本語": null, _empty: null }
        ])
        const otherTags = `people__${loser("tags", ["Tags"])}`
        expect((yield* rows("people__tags", "value, _rc_list_idx")).map((r) => r.value)).toEqual(["a", "d"])
        expect((yield* rows(otherTags, "value, _rc_list_idx")).map((r) => r.value)).toEqual(["b", "c"])

        const recorded = yield* sql.unsafe<{ table_name: string; column_name: string; source_key: string }>(
          `SELECT table_name, column_name, source_key FROM ${ident(dataset)}."_rc_columns" WHERE table_name = 'people' ORDER BY 2`
        )
        expect(Object.fromEntries(recorded.map((r) => [r.column_name, JSON.parse(r.source_key)]))).toEqual({
          id: ["id"],
          user_id: ["userId"],
          [idOf]: ["user_id"],
          [upperOf]: ["UserID"],
          [spacedOf]: ["user id"],
          "日本語": ["日本語"],
          _empty: [""]
        })
        const links = yield* sql.unsafe<{ table_name: string; source_key: string | null }>(
          `SELECT table_name, source_key FROM ${ident(dataset)}."_rc_tables" ORDER BY 1`
        )
        expect(links).toEqual([
          { table_name: "people", source_key: null },
          { table_name: "people__tags", source_key: "[\"tags\"]" },
          { table_name: otherTags, source_key: "[\"Tags\"]" }
        ])
      }))

    it.scoped("a dataset written before source keys were recorded gets them with its next load", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        let records: ReadonlyArray<unknown> = [{ id: 1, userId: 10, tags: ["a"] }]
        const api = yield* serveJson(() => ({ body: { items: records } }))
        const dataset = yield* freshDataset("names")
        const run = Effect.gen(function*() {
          const info = yield* Pipeline.run(yield* RestApiSource.make(config(api.url)), { dataset })
          expect(info.failed, info.resources[0].error?.message).toBe(false)
        })
        yield* run
        yield* sql.unsafe(`ALTER TABLE ${ident(dataset)}."_rc_tables" DROP COLUMN source_key; DROP TABLE ${ident(dataset)}."_rc_columns"`)

        // The stored column goes to the first key that names it; the other key gets one of its own.
        records = [{ id: 2, userId: 20, user_id: 21, tags: ["b"] }]
        yield* run
        expect(yield* sql.unsafe(`SELECT id::text, user_id::text, ${ident(loser("user_id", ["user_id"]))}::text AS other FROM ${ident(dataset)}.people ORDER BY 1`))
          .toEqual([{ id: "1", user_id: "10", other: null }, { id: "2", user_id: "20", other: "21" }])
        const recorded = yield* sql.unsafe<{ column_name: string; source_key: string }>(
          `SELECT column_name, source_key FROM ${ident(dataset)}."_rc_columns" WHERE table_name = 'people' AND column_name LIKE 'user_id%' ORDER BY 1`
        )
        expect(recorded.map((r) => `${r.column_name} ${r.source_key}`)).toEqual([
          `user_id ["userId"]`,
          `${loser("user_id", ["user_id"])} ["user_id"]`
        ])
        expect(yield* sql.unsafe(`SELECT table_name, source_key FROM ${ident(dataset)}."_rc_tables" ORDER BY 1`)).toEqual([
          { table_name: "people", source_key: null },
          { table_name: "people__tags", source_key: "[\"tags\"]" }
        ])
      }))
  })
})
