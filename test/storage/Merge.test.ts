/**
 * dlt's merge strategies (delete-insert, upsert, insert-only, scd2), hard deletes, dedup_sort and
 * schema versions, on every database target. Row ids are given by the tests (the normalizer's
 * hashing is tested elsewhere): for key-based strategies `_rc_id` stands for the primary key,
 * for scd2 for the row content.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import type { Batch, MergeOptions, MergeStrategy, StartLoadOptions } from "../../src/internal/load/destination.js"
import { Destination } from "../../src/internal/load/destination.js"
import { ident } from "../../src/internal/load/identifiers.js"
import { schemaVersionOf } from "../../src/internal/load/schemaVersion.js"
import type { Cell, Row, TableSchema } from "../../src/internal/normalize/tableSchema.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { childTable, col, rootTable } from "../support/tables.js"

// --- helpers ---------------------------------------------------------------


const items: TableSchema = rootTable("items", [
  col("key", "bigint"),
  col("region", "text"),
  col("day", "bigint"),
  col("name", "text"),
  col("version", "bigint"),
  col("deleted", "boolean"),
  col("deleted_at", "text")
])

const tags: TableSchema = childTable("items__tags", "items", [col("value", "text")])

const item = (seq: number, id: string, fields: Readonly<Record<string, Cell>>): Row => ({
  _rc_id: id,
  _rc_load_id: "load",
  _rc_seq: seq,
  ...fields
})

/** Child ids are deterministic (root id + index), as the normalizer makes them. */
const tag = (seq: number, rootId: string, idx: number, value: string): Row => ({
  _rc_id: `${rootId}/${idx}`,
  _rc_parent_id: rootId,
  _rc_list_idx: idx,
  _rc_root_id: rootId,
  _rc_seq: seq,
  value
})

const batch = (rows: ReadonlyArray<Row>, tagRows: ReadonlyArray<Row> = []): Batch => ({
  tables: [items, tags],
  rows: new Map([["items", rows], ["items__tags", tagRows]])
})

const mergeOptions = (
  dataset: string,
  strategy: MergeStrategy,
  merge: Partial<MergeOptions> = {},
  extra: Partial<StartLoadOptions> = {}
): StartLoadOptions => ({
  dataset,
  resource: "items",
  loadId: "load",
  rootTable: "items",
  disposition: "merge",
  primaryKey: ["key"],
  merge: { strategy, mergeKey: [], ...merge },
  ...extra
})

const load = (opts: StartLoadOptions, batches: ReadonlyArray<Batch>, startedAt = "2024-01-01T00:00:00Z") =>
  Effect.scoped(Effect.gen(function*() {
    const destination = yield* Destination
    const resourceLoad = yield* destination.startLoad(opts)
    for (const b of batches) yield* resourceLoad.write(b)
    return yield* resourceLoad.commit({ startedAt: new Date(startedAt) })
  }))

const query = (text: string, params: ReadonlyArray<string> = []) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<Record<string, string | null>>(text, params))

const table = (dataset: string, name: string) => `${ident(dataset)}.${ident(name)}`

/** Root rows as `id:name` (text), ordered by id. */
const roots = (dataset: string) =>
  query(`SELECT _rc_id || ':' || coalesce(name, '-') AS r FROM ${table(dataset, "items")} ORDER BY 1`).pipe(
    Effect.map((rows) => rows.map((r) => r["r"]))
  )

/** Child rows as `root_id:value`, ordered. */
const children = (dataset: string) =>
  query(`SELECT _rc_root_id || ':' || value AS r FROM ${table(dataset, "items__tags")} ORDER BY 1`).pipe(
    Effect.map((rows) => rows.map((r) => r["r"]))
  )

/** scd2 versions as `id name from..to` with UTC dates ("-" = active). */
const versions = (dataset: string) =>
  query(
    `SELECT _rc_id || ' ' || name || ' ' || to_char(_rc_valid_from AT TIME ZONE 'UTC', 'MM-DD') || '..' ||
       coalesce(to_char(_rc_valid_to AT TIME ZONE 'UTC', 'MM-DD'), '-') AS r
     FROM ${table(dataset, "items")} ORDER BY _rc_valid_from, _rc_id`
  ).pipe(Effect.map((rows) => rows.map((r) => r["r"])))

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

// --- the suite, once per database ----------------------------------------------

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
