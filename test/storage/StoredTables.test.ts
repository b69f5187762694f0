/**
 * Names and stored tables: identifiers within 63 bytes, SQL types and back, and `storedTables`
 * (every data type, the parent of each table) on every database target.
 */
import { assert, describe, expect, it, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import { dataTypeOf, sqlType } from "../../src/internal/load/columnTypes.js"
import { Destination } from "../../src/internal/load/destination.js"
import { ident, stagingTableName } from "../../src/internal/load/identifiers.js"
import type { Row, TableSchema } from "../../src/internal/normalize/tableSchema.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { childTable, col, rootTable } from "../support/tables.js"
import { batch, load, options, select, tag } from "./usersFixture.js"

describe("Postgres names", () => {
  it("quotes identifiers", () => {
    expect(ident("a\"b")).toBe("\"a\"\"b\"")
  })
  it("keeps staging names within 63 bytes and distinct per resource", () => {
    const long = "x".repeat(40) + "ü".repeat(20)
    const a = stagingTableName(long, "load-1", "r1")
    const b = stagingTableName(long, "load-1", "r2")
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(63)
    expect(a).not.toBe(b)
    expect(stagingTableName(long + "a", "l", "r")).not.toBe(stagingTableName(long + "b", "l", "r"))
    expect(stagingTableName("users", "l", "r")).toMatch(/^users__[0-9a-f]{8}$/)
  })
  it("maps SQL types back", () => {
    for (const t of ["text", "bigint", "double", "boolean", "timestamptz", "numeric", "jsonb"] as const) {
      expect(dataTypeOf(sqlType(t) === "timestamptz" ? "timestamp with time zone" : sqlType(t)))
        .toBe(t)
    }
    expect(dataTypeOf("numeric(10,2)")).toBe("numeric")
  })
})

forEachDatabase((target) => {
  const Live = target.destination.pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true })((it) => {
    it.scoped("storedTables round-trips every data type and the parent from the naming", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const events = rootTable("events", [
          col("s", "text"),
          col("i", "bigint"),
          col("d", "double"),
          col("b", "boolean"),
          col("ts", "timestamptz"),
          col("n", "numeric"),
          col("j", "jsonb")
        ])
        const items = childTable("events__items", "events", [col("value", "bigint")])
        const deep = childTable("events__items__parts", "events__items", [col("value", "text")])
        const row: Row = {
          _rc_id: "e1",
          _rc_load_id: "l1",
          _rc_seq: 0,
          s: "it's \"quoted\"",
          i: 9007199254740991,
          d: 1.5,
          b: true,
          ts: new Date("2024-02-03T04:05:06.789Z"),
          n: "12345678901234567890.123456789",
          j: { list: [1, 2, { x: null }], ok: false }
        }
        yield* load(options(dataset, "l1", "append", { resource: "events", rootTable: "events" }), [
          batch([events, [row]], [items, [tag(0, "e1", 0, "7")]], [deep, [tag(0, "e1", 0, "p")]])
        ])
        const stored = yield* Effect.flatMap(Destination, (d) => d.storedTables(dataset))
        const withoutSeq = (t: TableSchema) => ({ ...t, columns: t.columns.filter((c) => c.name !== "_rc_seq") })
        expect(stored).toEqual([withoutSeq(events), withoutSeq(items), withoutSeq(deep)])
        const [values] = yield* select(dataset, "events", ["s", "i", "d", "b", "n", "j"], "1")
        assert.deepStrictEqual(values, {
          s: "it's \"quoted\"",
          i: "9007199254740991",
          d: "1.5",
          b: "true",
          n: "12345678901234567890.123456789",
          j: "{\"ok\": false, \"list\": [1, 2, {\"x\": null}]}"
        })
        // Compared in SQL: the text form of timestamptz depends on the session time zone.
        const sameInstant = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql.unsafe<{ same: boolean }>(
            `SELECT ts = '2024-02-03T04:05:06.789Z'::timestamptz AS same FROM ${ident(dataset)}.events`
          ))
        expect(sameInstant).toEqual([{ same: true }])
      }))

    it.scoped("date, time and bytea columns store what the normalizer gives them", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const typed = rootTable("typed", [col("day", "date"), col("at", "time"), col("blob", "binary")])
        const rows = [
          { _rc_id: "a", _rc_load_id: "l1", _rc_seq: 0, day: "2024-02-29", at: "23:30:00.25", blob: "\\x00ff0a5c" },
          { _rc_id: "b", _rc_load_id: "l1", _rc_seq: 1, day: null, at: "13:45", blob: "\\x" }
        ]
        yield* load({ ...options(dataset, "l1", "append"), resource: "typed", rootTable: "typed" }, [batch([typed, rows])])
        expect(yield* select(dataset, "typed", ["_rc_id", "day", "at", "blob"], "_rc_id")).toEqual([
          { _rc_id: "a", day: "2024-02-29", at: "23:30:00.25", blob: "\\x00ff0a5c" },
          { _rc_id: "b", day: null, at: "13:45:00", blob: "\\x" }
        ])
        const stored = yield* Effect.flatMap(Destination, (d) => d.storedTables(dataset))
        expect(stored.find((t) => t.name === "typed")?.columns.slice(2).map((c) => [c.name, c.type])).toEqual([
          ["day", "date"],
          ["at", "time"],
          ["blob", "binary"]
        ])
      }))
  })
})
