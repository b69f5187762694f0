/**
 * `readCatalog` finds a dataset's tables through `pg_depend` (an index, not a scan of every
 * relation): the tables and indexes it returns are the schema's own, including a table moved in
 * with `SET SCHEMA` (as a swap does) and its index, and none of another schema's, even with the
 * same names. Both databases.
 */
import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { readCatalog } from "../../src/internal/load/catalog.js"
import { ident } from "../../src/internal/load/identifiers.js"
import { forEachDatabase, freshDataset } from "../support/database.js"

forEachDatabase((target) => {
  layer(target.layer, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("a dataset's tables and indexes, a table moved in by SET SCHEMA included, another schema's excluded", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const dataset = yield* freshDataset("catalog")
        const other = yield* freshDataset("catalog_other")
        for (const schema of [dataset, other]) {
          yield* sql.unsafe(`CREATE SCHEMA ${ident(schema)}`)
          yield* sql.unsafe(`CREATE TABLE ${ident(schema)}.items (id text PRIMARY KEY, n integer NOT NULL, note text)`)
        }
        yield* sql.unsafe(`CREATE TABLE ${ident(other)}.only_there (x integer)`)
        // Made elsewhere, indexed there, then moved in: the way a first load swaps its staging table in.
        yield* sql.unsafe(`CREATE TABLE ${ident(other)}.moved (id text NOT NULL, v jsonb)`)
        yield* sql.unsafe(`CREATE UNIQUE INDEX moved_id_key ON ${ident(other)}.moved (id)`)
        yield* sql.unsafe(`ALTER TABLE ${ident(other)}.moved SET SCHEMA ${ident(dataset)}`)
        yield* sql.unsafe(`CREATE VIEW ${ident(dataset)}.a_view AS SELECT 1 AS one`)

        const catalog = yield* readCatalog(sql, dataset)
        expect(catalog.schemaExists).toBe(true)
        expect([...catalog.tables.keys()]).toEqual(["items", "moved"])
        expect([...(catalog.tables.get("items")?.entries() ?? [])]).toEqual([
          ["id", { type: "text", required: true }],
          ["n", { type: "integer", required: true }],
          ["note", { type: "text", required: false }]
        ])
        expect([...(catalog.tables.get("moved")?.keys() ?? [])]).toEqual(["id", "v"])
        expect([...catalog.indexes].sort()).toEqual(["items_pkey", "moved_id_key"])

        const otherCatalog = yield* readCatalog(sql, other)
        expect([...otherCatalog.tables.keys()]).toEqual(["items", "only_there"])
        expect([...otherCatalog.indexes]).toEqual(["items_pkey"])

        const missing = yield* readCatalog(sql, `${dataset}_none`)
        expect(missing.schemaExists).toBe(false)
        expect(missing.tables.size).toBe(0)
      }))
  })
})
