/**
 * dlt's scd2 merge strategy on every database target: versions with validity ranges, retired
 * and re-activated versions, its options, merge key partitions and hard deletes.
 */
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Destination } from "../../src/internal/load/destination.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { col } from "../support/tables.js"
import { batch, children, item, load, mergeOptions, query, table, tag, versions } from "./itemsFixture.js"

forEachDatabase((target) => {
  const Live = target.destination.pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true })((it) => {
    it.scoped("scd2: new versions, retired versions, and a row that changes back gets a new version", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("m")
        const opts = mergeOptions(dataset, "scd2")
        // Ids stand for content hashes: A1 and A2 are two contents of key 1.
        const a1 = (seq: number) => item(seq, "A1", { key: 1, name: "ann" })
        const b1 = (seq: number) => item(seq, "B1", { key: 2, name: "bob" })
        const first = yield* load(opts, [batch([a1(0), b1(1)], [tag(0, "A1", 0, "a1-tag"), tag(1, "B1", 0, "b1-tag")])])
        expect(first.rowsPerTable).toEqual({ items: 2, items__tags: 2 })
        expect(yield* versions(dataset)).toEqual(["A1 ann 01-01..-", "B1 bob 01-01..-"])
        const stored = yield* Effect.flatMap(Destination, (d) => d.storedTables(dataset))
        expect(stored.find((t) => t.name === "items")?.columns.slice(-2)).toEqual([
          col("_rc_valid_from", "timestamptz"),
          col("_rc_valid_to", "timestamptz")
        ])

        // Key 1 changes, B is unchanged (its children too), C is new; an in-load duplicate counts once.
        const second = yield* load(opts, [
          batch([
            item(0, "A2", { key: 1, name: "ann v2" }),
            b1(1),
            item(2, "C1", { key: 3, name: "cid" }),
            item(3, "C1", { key: 3, name: "cid" })
          ], [tag(0, "A2", 0, "a2-tag"), tag(1, "B1", 0, "b1-tag"), tag(3, "C1", 0, "c1-tag")])
        ], "2024-01-02T00:00:00Z")
        expect(second.rowsPerTable).toEqual({ items: 2, items__tags: 2 })
        expect(yield* versions(dataset)).toEqual([
          "A1 ann 01-01..01-02",
          "B1 bob 01-01..-",
          "A2 ann v2 01-02..-",
          "C1 cid 01-02..-"
        ])

        // Key 1 changes back: A1 again is a new version (same id as the retired one); B is gone.
        const third = yield* load(opts, [batch([a1(0), item(1, "C1", { key: 3, name: "cid" })], [
          tag(0, "A1", 0, "a1-tag"),
          tag(1, "C1", 0, "c1-tag")
        ])], "2024-01-03T00:00:00Z")
        expect(third.rowsPerTable).toEqual({ items: 1, items__tags: 0 })
        expect(yield* versions(dataset)).toEqual([
          "A1 ann 01-01..01-02",
          "B1 bob 01-01..01-03",
          "A2 ann v2 01-02..01-03",
          "C1 cid 01-02..-",
          "A1 ann 01-03..-"
        ])
        // Children of versions are never deleted nor duplicated.
        expect(yield* children(dataset)).toEqual(["A1:a1-tag", "A2:a2-tag", "B1:b1-tag", "C1:c1-tag"])
      }))

    it.scoped("scd2 options: named validity columns, an active record timestamp, a fixed boundary", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("m")
        const scd2 = { validFrom: "valid_from", validTo: "valid_until", activeTo: "9999-12-31T00:00:00.000Z" }
        const at = (boundary: string) => mergeOptions(dataset, "scd2", { scd2: { ...scd2, boundary } })
        const spans = query(
          `SELECT _rc_id || ' ' || to_char(valid_from AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '..' ||
             to_char(valid_until AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS r
           FROM ${table(dataset, "items")} ORDER BY valid_from, _rc_id`
        ).pipe(Effect.map((rows) => rows.map((r) => r["r"])))
        // The boundary given wins over the load's start time (2024-01-01 in `load`).
        yield* load(at("2023-06-01T00:00:00Z"), [batch([item(0, "A1", { key: 1, name: "ann" }), item(1, "B1", { key: 2, name: "bob" })])])
        expect(yield* spans).toEqual(["A1 2023-06-01..9999-12-31", "B1 2023-06-01..9999-12-31"])
        const stored = yield* Effect.flatMap(Destination, (d) => d.storedTables(dataset))
        const names = stored.find((t) => t.name === "items")?.columns.map((c) => c.name) ?? []
        expect(names).toContain("valid_until")
        expect(names).not.toContain("_rc_valid_to")

        // A changes, B is gone: both retire at the new boundary; A2 is active until the far date.
        const second = yield* load(at("2023-07-01T00:00:00Z"), [batch([item(0, "A2", { key: 1, name: "ann v2" })])])
        expect(second.rowsPerTable).toEqual({ items: 1 })
        expect(yield* spans).toEqual([
          "A1 2023-06-01..2023-07-01",
          "B1 2023-06-01..2023-07-01",
          "A2 2023-07-01..9999-12-31"
        ])
        // An unchanged record stays one active version.
        yield* load(at("2023-08-01T00:00:00Z"), [batch([item(0, "A2", { key: 1, name: "ann v2" })])])
        expect((yield* spans).filter((r) => r?.endsWith("9999-12-31"))).toEqual(["A2 2023-07-01..9999-12-31"])
      }))

    it.scoped("scd2 with a merge key retires absent rows only in the staged partitions", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("m")
        const opts = mergeOptions(dataset, "scd2", { mergeKey: ["region", "day"] })
        yield* load(opts, [
          batch([
            item(0, "A", { key: 1, region: "eu", day: 1, name: "a" }),
            item(1, "B", { key: 2, region: "eu", day: 1, name: "b" }),
            item(2, "C", { key: 3, region: "us", day: 1, name: "c" }),
            item(3, "D", { key: 4, region: "eu", day: 2, name: "d" })
          ])
        ])
        yield* load(opts, [batch([item(0, "A", { key: 1, region: "eu", day: 1, name: "a" })])], "2024-01-02T00:00:00Z")
        expect(yield* versions(dataset)).toEqual([
          "A a 01-01..-",
          "B b 01-01..01-02",
          "C c 01-01..-",
          "D d 01-01..-"
        ])
      }))

    it.scoped("scd2 hard_delete retires the active version of the key and is not inserted", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("m")
        const opts = mergeOptions(dataset, "scd2", { hardDelete: "deleted", mergeKey: ["region"] })
        yield* load(opts, [
          batch([item(0, "A", { key: 1, region: "eu", name: "a" }), item(1, "B", { key: 2, region: "us", name: "b" })], [
            tag(1, "B", 0, "b-tag")
          ])
        ])
        // The deletion row has its own content hash and no partition of B's: only the key names B.
        yield* load(opts, [
          batch([
            item(0, "A", { key: 1, region: "eu", name: "a" }),
            item(1, "B-del", { key: 2, region: null, name: "b", deleted: true })
          ])
        ], "2024-01-02T00:00:00Z")
        expect(yield* versions(dataset)).toEqual(["A a 01-01..-", "B b 01-01..01-02"])
        expect(yield* children(dataset)).toEqual(["B:b-tag"])
      }))
  })
})
