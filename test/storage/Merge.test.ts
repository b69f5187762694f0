/**
 * dlt's key-based merge strategies (delete-insert, upsert, insert-only), hard deletes,
 * dedup_sort and schema versions, on every database target.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Destination } from "../../src/internal/load/destination.js"
import { schemaVersionOf } from "../../src/internal/load/schemaVersion.js"
import type { TableSchema } from "../../src/internal/normalize/tableSchema.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { col } from "../support/tables.js"
import { batch, children, item, items, load, mergeOptions, query, roots, table, tag } from "./itemsFixture.js"

// --- pure --------------------------------------------------------------------

describe("schemaVersionOf", () => {
  const a = { name: "a", columns: [{ name: "x", type: "text", nullable: true }] }
  const b = { name: "b", columns: [{ name: "y", type: "bigint", nullable: false }] }
  it("ignores table order but not column order, types or the resource", () => {
    const v = schemaVersionOf("r", [a, b])
    expect(schemaVersionOf("r", [b, a])).toEqual(v)
    const swapped = { name: "a", columns: [...a.columns, { name: "z", type: "text", nullable: true }] }
    const reordered = { name: "a", columns: [...swapped.columns].reverse() }
    expect(schemaVersionOf("r", [swapped, b]).hash).not.toBe(schemaVersionOf("r", [reordered, b]).hash)
    expect(schemaVersionOf("r", [{ name: "a", columns: [{ name: "x", type: "bigint", nullable: true }] }, b]).hash)
      .not.toBe(v.hash)
    expect(schemaVersionOf("s", [a, b]).hash).not.toBe(v.hash)
    expect(JSON.parse(v.json)).toEqual({ resource: "r", tables: [a, b] })
  })
})


forEachDatabase((target) => {
  const Live = target.destination.pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true })((it) => {
    it.scoped("delete-insert: last duplicate wins, matched rows and their children are replaced", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("m")
        yield* load(mergeOptions(dataset, "delete-insert"), [
          batch(
            [item(0, "a", { key: 1, name: "a1" }), item(1, "b", { key: 2, name: "b1" }), item(2, "c", { key: 3, name: "c1" })],
            [tag(0, "a", 0, "x"), tag(0, "a", 1, "y"), tag(1, "b", 0, "z")]
          )
        ])
        const result = yield* load(mergeOptions(dataset, "delete-insert"), [
          batch([item(0, "a", { key: 1, name: "a-old" }), item(1, "b", { key: 2, name: "b2" })], [tag(0, "a", 0, "stale")]),
          batch([item(2, "a", { key: 1, name: "a2" }), item(3, "d", { key: 4, name: "d1" })], [
            tag(2, "a", 0, "p"),
            tag(3, "d", 0, "q")
          ])
        ])
        expect(result.rowsPerTable).toEqual({ items: 3, items__tags: 2 })
        expect(yield* roots(dataset)).toEqual(["a:a2", "b:b2", "c:c1", "d:d1"])
        // b came back without children: its old ones are gone.
        expect(yield* children(dataset)).toEqual(["a:p", "d:q"])
      }))

    it.scoped("delete-insert: a compound merge key deletes whole partitions, NULL matching NULL", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("m")
        const opts = mergeOptions(dataset, "delete-insert", { mergeKey: ["day", "region"] })
        yield* load(opts, [
          batch([
            item(0, "1", { key: 1, day: 1, region: "eu", name: "one" }),
            item(1, "2", { key: 2, day: 1, region: "us", name: "two" }),
            item(2, "3", { key: 3, day: 2, region: "eu", name: "three" }),
            item(3, "4", { key: 4, day: null, region: "eu", name: "four" }),
            item(4, "5", { key: 5, day: 2, region: null, name: "five" })
          ], [tag(0, "1", 0, "t1"), tag(2, "3", 0, "t3"), tag(3, "4", 0, "t4")])
        ])
        // (1, eu) and (NULL, eu) are reloaded: rows 1 and 4 go although their ids are not staged.
        yield* load(opts, [
          batch([
            item(0, "6", { key: 6, day: 1, region: "eu", name: "six" }),
            item(1, "7", { key: 7, day: null, region: "eu", name: "seven" })
          ], [tag(0, "6", 0, "t6")])
        ])
        expect(yield* roots(dataset)).toEqual(["2:two", "3:three", "5:five", "6:six", "7:seven"])
        expect(yield* children(dataset)).toEqual(["3:t3", "6:t6"])
      }))

    it.scoped("dedup_sort picks the survivor among duplicates (desc: highest, asc: lowest, else last)", () =>
      Effect.gen(function*() {
        const duplicates = batch([
          item(0, "a", { key: 1, name: "v3", version: 3 }),
          item(1, "a", { key: 1, name: "v1", version: 1 }),
          item(2, "a", { key: 1, name: "v2", version: 2 }),
          item(3, "a", { key: 1, name: "none", version: null })
        ], [tag(0, "a", 0, "of-v3"), tag(1, "a", 0, "of-v1"), tag(2, "a", 0, "of-v2"), tag(3, "a", 0, "of-none")])
        const cases = [
          [{ column: "version", order: "desc" }, "v3"],
          [{ column: "version", order: "asc" }, "v1"],
          [undefined, "none"]
        ] as const
        for (const strategy of ["delete-insert", "upsert", "insert-only"] as const) {
          for (const [dedupSort, survivor] of cases) {
            const dataset = yield* freshDataset("m")
            yield* load(mergeOptions(dataset, strategy, { dedupSort }), [duplicates])
            expect(yield* roots(dataset)).toEqual([`a:${survivor}`])
            // The survivor's own children, not another duplicate's.
            expect(yield* children(dataset)).toEqual([`a:of-${survivor}`])
          }
        }
      }))

    it.scoped("hard_delete on a boolean column: true deletes row and children, false/NULL upserts", () =>
      Effect.gen(function*() {
        for (const strategy of ["delete-insert", "upsert"] as const) {
          const dataset = yield* freshDataset("m")
          const opts = mergeOptions(dataset, strategy, { hardDelete: "deleted" })
          yield* load(opts, [
            batch([
              item(0, "a", { key: 1, name: "a1" }),
              item(1, "b", { key: 2, name: "b1" }),
              item(2, "c", { key: 3, name: "c1" })
            ], [tag(0, "a", 0, "x"), tag(1, "b", 0, "y"), tag(2, "c", 0, "z")])
          ])
          const result = yield* load(opts, [
            batch([
              item(0, "a", { key: 1, name: "a-gone", deleted: true }),
              item(1, "b", { key: 2, name: "b2", deleted: false }),
              item(2, "d", { key: 4, name: "d-never", deleted: true }),
              item(3, "e", { key: 5, name: "e1", deleted: null })
            ], [tag(0, "a", 0, "a-new"), tag(1, "b", 0, "b-new"), tag(2, "d", 0, "d-new")])
          ])
          expect(result.rowsPerTable).toEqual({ items: 2, items__tags: 1 })
          expect(yield* roots(dataset)).toEqual(["b:b2", "c:c1", "e:e1"])
          expect(yield* children(dataset)).toEqual(["b:b-new", "c:z"])
        }
      }))

    it.scoped("hard_delete on a non-boolean column deletes when NOT NULL (with merge key partitions)", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("m")
        const opts = mergeOptions(dataset, "delete-insert", { hardDelete: "deleted_at", mergeKey: ["region"] })
        yield* load(opts, [
          batch([
            item(0, "a", { key: 1, region: "eu", name: "a1" }),
            item(1, "b", { key: 2, region: "eu", name: "b1" }),
            item(2, "c", { key: 3, region: "us", name: "c1" }),
            item(3, "d", { key: 4, region: "asia", name: "d1" })
          ], [tag(0, "a", 0, "x"), tag(1, "b", 0, "y"), tag(2, "c", 0, "z")])
        ])
        // A deleted row still names its partition: all of "eu" goes, and the row is not inserted.
        yield* load(opts, [
          batch([
            item(0, "a", { key: 1, region: "eu", name: "a-gone", deleted_at: "2024-05-01" }),
            item(1, "c", { key: 3, region: "us", name: "c2", deleted_at: null })
          ], [tag(1, "c", 0, "c-new")])
        ])
        expect(yield* roots(dataset)).toEqual(["c:c2", "d:d1"])
        expect(yield* children(dataset)).toEqual(["c:c-new"])

        // upsert: the same rule without partitions.
        const upsert = yield* freshDataset("m")
        const upsertOpts = mergeOptions(upsert, "upsert", { hardDelete: "deleted_at" })
        yield* load(upsertOpts, [batch([item(0, "a", { key: 1, name: "a1" }), item(1, "b", { key: 2, name: "b1" })], [
          tag(0, "a", 0, "x")
        ])])
        yield* load(upsertOpts, [batch([item(0, "a", { key: 1, name: "a-gone", deleted_at: "yesterday" })])])
        expect(yield* roots(upsert)).toEqual(["b:b1"])
        expect(yield* children(upsert)).toEqual([])
      }))

    it.scoped("insert-only inserts new keys and leaves existing rows and their children alone", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("m")
        const opts = mergeOptions(dataset, "insert-only", { hardDelete: "deleted" })
        yield* load(opts, [
          batch([item(0, "a", { key: 1, name: "a1" }), item(1, "b", { key: 2, name: "b1" })], [tag(0, "a", 0, "x")])
        ])
        const result = yield* load(opts, [
          batch([
            item(0, "a", { key: 1, name: "a2" }),
            item(1, "b", { key: 2, name: "b-deleted", deleted: true }),
            item(2, "c", { key: 3, name: "c-old" })
          ], [tag(0, "a", 0, "a-new"), tag(2, "c", 0, "c-old")]),
          batch([item(3, "c", { key: 3, name: "c1" })], [tag(3, "c", 0, "c1")])
        ])
        expect(result.rowsPerTable).toEqual({ items: 1, items__tags: 1 })
        expect(yield* roots(dataset)).toEqual(["a:a1", "b:b1", "c:c1"])
        expect(yield* children(dataset)).toEqual(["a:x", "c:c1"])
      }))

    it.scoped("one _rc_version row per distinct schema; _rc_loads.schema_version names it", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("m")
        const opts = (loadId: string) => mergeOptions(dataset, "delete-insert", {}, { loadId })
        const one = yield* load(opts("l1"), [batch([item(0, "a", { key: 1, name: "a" })], [tag(0, "a", 0, "x")])])
        const two = yield* load(opts("l2"), [batch([item(0, "b", { key: 2, name: "b" })])])
        expect(one.schemaVersion).toMatch(/^[\w-]{43}$/)
        expect(two.schemaVersion).toBe(one.schemaVersion)

        const wider: TableSchema = { ...items, columns: [...items.columns, col("email", "text")] }
        const three = yield* load(opts("l3"), [{
          tables: [wider],
          rows: new Map([["items", [item(0, "c", { key: 3, name: "c", email: "c@x" })]]])
        }])
        expect(three.schemaVersion).not.toBe(one.schemaVersion)

        const stored = yield* query(
          `SELECT version_hash, resource, schema::text AS schema FROM ${table(dataset, "_rc_version")} ORDER BY inserted_at`
        )
        expect(stored.map((r) => r["version_hash"])).toEqual([one.schemaVersion, three.schemaVersion])
        const schema: unknown = JSON.parse(stored[1]?.["schema"] ?? "null")
        expect(schema).toMatchObject({
          resource: "items",
          tables: [
            { name: "items", columns: expect.arrayContaining([{ name: "email", type: "text", nullable: true }]) },
            { name: "items__tags" }
          ]
        })
        const loads = yield* query(`SELECT load_id, schema_version FROM ${table(dataset, "_rc_loads")} ORDER BY load_id`)
        expect(loads).toEqual([
          { load_id: "l1", schema_version: one.schemaVersion },
          { load_id: "l2", schema_version: one.schemaVersion },
          { load_id: "l3", schema_version: three.schemaVersion }
        ])
        const tables = yield* Effect.flatMap(Destination, (d) => d.storedTables(dataset))
        expect(tables.map((t) => t.name)).toEqual(["items", "items__tags"])

        // A dataset of an older version (no schema_version column, no _rc_version) is upgraded.
        yield* query(
          `ALTER TABLE ${table(dataset, "_rc_loads")} DROP COLUMN schema_version; DROP TABLE ${
            table(dataset, "_rc_version")
          }`
        )
        const four = yield* load(opts("l4"), [batch([item(0, "d", { key: 4, name: "d" })])])
        expect(four.schemaVersion).toBe(three.schemaVersion)
        expect(yield* query(`SELECT load_id, schema_version FROM ${table(dataset, "_rc_loads")} ORDER BY load_id`))
          .toEqual([
            { load_id: "l1", schema_version: null },
            { load_id: "l2", schema_version: null },
            { load_id: "l3", schema_version: null },
            { load_id: "l4", schema_version: three.schemaVersion }
          ])
        expect((yield* query(`SELECT version_hash FROM ${table(dataset, "_rc_version")}`)).length).toBe(1)
      }))
  })
})
