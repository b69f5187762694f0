import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, DateTime, Option, Schema } from "effect"
import * as Normalizer from "../../src/internal/normalize/normalizer.js"
import * as Naming from "../../src/internal/normalize/naming.js"
import { tablesFromSchema } from "../../src/internal/normalize/schemaColumns.js"
import type { TableSchema } from "../../src/internal/normalize/tableSchema.js"
import { column, data, dataColumns, fail, make, ok, rowsOf, tableOf } from "../support/normalizer.js"

// Inference (a value's natural column type) and coercion (a value into its column's type, or a
// variant column), with and without column hints.

describe("Normalizer: types", () => {
  it("infers column types from the first value", () => {
    const n = make()
    const batch = ok(n, [{
      s: "hello",
      ts: "2024-05-01T10:00:00Z",
      tsOffset: "2024-05-01 10:00:00.123+02:00",
      tsNoSeconds: "2024-05-01T10:00Z",
      day: "2024-05-01",
      badDay: "2024-02-30T10:00:00Z",
      noZone: "2024-05-01T10:00:00",
      i: 42,
      big: 2 ** 60,
      huge: 1e300,
      d: 1.5,
      b: true,
      date: new Date("2024-01-01T00:00:00Z"),
      dec: BigDecimal.unsafeFromString("12.3400"),
      jsBig: 12345678901234567890n,
      jsSmall: 12n,
      some: Option.some("x"),
      none: Option.none(),
      dt: DateTime.unsafeMake("2024-01-02T00:00:00Z")
    }])
    assert.deepStrictEqual(dataColumns(tableOf(batch.tables, "items")), [
      "s:text", "ts:timestamptz", "ts_offset:timestamptz", "ts_no_seconds:timestamptz", "day:text", "bad_day:text",
      "no_zone:text", "i:bigint", "big:bigint", "huge:double", "d:double", "b:boolean", "date:timestamptz",
      "dec:numeric", "js_big:numeric", "js_small:bigint", "some:text", "dt:timestamptz"
    ])
    const [row] = rowsOf(batch, "items")
    assert.strictEqual(row.ts, "2024-05-01T10:00:00Z")
    assert.strictEqual(row.dec, "12.34")
    assert.strictEqual(row.js_big, "12345678901234567890")
    assert.strictEqual(row.js_small, "12")
    assert.strictEqual(row.some, "x")
    assert.isFalse("none" in row)
    assert.instanceOf(row.dt, Date)
  })

  it("checks timestamp fields before typing a string timestamptz", () => {
    const n = make()
    const cases: Record<string, string> = {
      a: "2024-13-01T00:00:00Z",
      b: "2024-01-01T24:00:00Z",
      c: "2024-01-01T00:60:00Z",
      d: "2024-01-01T00:00:00+16:00",
      e: "2024-01-01T00:00:00.Z",
      f: "2023-02-29T00:00:00Z",
      g: "2024-02-29T23:59:59.999999+05:30",
      h: "2024-01-01T00:00:00+0530",
      i: "2024-01-01T00:00:00+05"
    }
    const types = Object.fromEntries(tableOf(ok(n, [cases]).tables, "items").columns.map((c) => [c.name, c.type]))
    assert.deepInclude(types, { a: "text", b: "text", c: "text", d: "text", e: "text", f: "text" })
    assert.deepInclude(types, { g: "timestamptz", h: "timestamptz", i: "timestamptz" })
  })

  it("creates a column only when its first non-null value arrives", () => {
    const n = make()
    const first = ok(n, [{ id: 1, later: null, gone: undefined }])
    assert.deepStrictEqual(dataColumns(tableOf(first.tables, "items")), ["id:bigint"])
    assert.deepStrictEqual(data(rowsOf(first, "items")[0]), { id: 1 })
    const second = ok(n, [{ id: 2, later: "now" }, { id: 3, later: null }])
    assert.deepStrictEqual(dataColumns(tableOf(second.tables, "items")), ["id:bigint", "later:text"])
    assert.deepStrictEqual(rowsOf(second, "items").map(data), [{ id: 2, later: "now" }, { id: 3 }])
  })

  it("sends values that do not fit to variant columns after dlt's coercions", () => {
    const n = make()
    const batch = ok(n, [
      { amount: 5, price: 1.5, name: "x", at: "2024-01-01T00:00:00Z", flag: true, qty: 1 },
      { amount: "abc", price: 2, name: 7, at: "soon", flag: "yes", qty: 2.5 },
      { amount: " 12 ", name: true, at: new Date("2024-01-02T00:00:00Z"), price: 3n },
      { amount: 1.25, name: new Date("2024-01-03T00:00:00Z"), flag: 1 }
    ])
    const root = tableOf(batch.tables, "items")
    assert.deepStrictEqual(dataColumns(root), [
      "amount:bigint", "price:double", "name:text", "at:timestamptz", "flag:boolean", "qty:bigint",
      "amount__v_text:text", "at__v_text:text", "qty__v_double:double", "amount__v_double:double", "flag__v_bigint:bigint"
    ])
    for (const c of root.columns.filter((c) => c.name.includes("__v_"))) assert.isTrue(c.nullable)
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [
      { amount: 5, price: 1.5, name: "x", at: "2024-01-01T00:00:00Z", flag: true, qty: 1 },
      // a bigint fits a double column, any scalar fits text, "yes" is a boolean (dlt's str2bool)
      { amount__v_text: "abc", price: 2, name: "7", at__v_text: "soon", flag: true, qty__v_double: 2.5 },
      // a numeric string fits bigint; Date fits timestamptz; a JS bigint fits double
      { amount: "12", name: "true", at: new Date("2024-01-02T00:00:00Z"), price: 3 },
      // a double does not fit bigint; a number is not taken as a boolean
      { amount__v_double: 1.25, name: "2024-01-03T00:00:00.000Z", flag__v_bigint: 1 }
    ])
  })

  it("coerces into variant columns of list tables too", () => {
    const n = make()
    const batch = ok(n, [{ v: [1, "x", 2.5] }])
    assert.deepStrictEqual(dataColumns(tableOf(batch.tables, "items__v")), ["value:bigint", "value__v_text:text", "value__v_double:double"])
  })

  it("marks inferred columns nullable and system columns not null", () => {
    const n = make()
    const batch = ok(n, [{ a: 1, l: [{ b: 2 }] }])
    for (const t of batch.tables) {
      for (const c of t.columns) assert.strictEqual(c.nullable, !c.name.startsWith("_rc_"), `${t.name}.${c.name}`)
    }
    assert.strictEqual(column(tableOf(batch.tables, "items"), "_rc_seq").type, "bigint")
  })
})

describe("Normalizer: column hints", () => {
  it("creates a column with a hinted type from the first batch, before any value arrives", () => {
    const n = make({ columnHints: [{ name: "price", dataType: "numeric" }, { name: "meta__score", dataType: "double" }] })
    const batch = ok(n, [{ id: 1 }])
    const root = tableOf(batch.tables, "items")
    assert.deepStrictEqual(dataColumns(root), ["price:numeric", "meta__score:double", "id:bigint"])
    // Values are coerced to the hinted type, or go to a variant column as usual.
    const next = ok(n, [{ id: 2, price: 12, meta: { score: 3 } }, { id: 3, price: "abc" }])
    assert.deepStrictEqual(rowsOf(next, "items").map(data), [
      { id: 2, price: "12", meta__score: 3 },
      { id: 3, price__v_text: "abc" }
    ])
  })

  it("date, time and binary hints: dlt's coercions, misfits to variant columns", () => {
    const n = make({
      columnHints: [{ name: "day", dataType: "date" }, { name: "at", dataType: "time" }, { name: "blob", dataType: "binary" }]
    })
    const batch = ok(n, [
      // ISO date text stays; a timestamp is taken in UTC; hex with 0x and base64 decode to bytea hex.
      { day: "2024-02-29", at: "13:45", blob: "0xDEADbeef" },
      { day: "2024-03-01T01:30:00+02:00", at: "2024-03-01T01:30:00.250+02:00", blob: "AAH/" },
      { day: new Date(Date.UTC(2024, 0, 2, 23, 59)), at: "23:59:59.123456", blob: 258 },
      { day: "2023-02-29", at: "24:00", blob: "not base64!" },
      { blob: new Uint8Array([0, 16, 255]) }
    ])
    assert.deepStrictEqual(dataColumns(tableOf(batch.tables, "items")), [
      "day:date",
      "at:time",
      "blob:binary",
      "day__v_text:text",
      "at__v_text:text",
      "blob__v_text:text"
    ])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [
      { day: "2024-02-29", at: "13:45", blob: "\\xdeadbeef" },
      { day: "2024-02-29", at: "23:30:00.250", blob: "\\x0001ff" },
      { day: "2024-01-02", at: "23:59:59.123456", blob: "\\x0201" },
      { day__v_text: "2023-02-29", at__v_text: "24:00", blob__v_text: "not base64!" },
      { blob: "\\x0010ff" }
    ])
  })

  it("a Schema's Uint8Array field is a binary (bytea) column, and its decoded bytes fill it", () => {
    const S = Schema.Struct({ id: Schema.Int, raw: Schema.Uint8ArrayFromBase64 })
    const tables = tablesFromSchema(S, "items")
    assert.deepStrictEqual(dataColumns(tables[0]), ["id:bigint", "raw:binary"])
    const record = Schema.decodeUnknownSync(S)({ id: 1, raw: "AQID" })
    const batch = ok(make({ declaredTables: tables }), [record])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ id: 1, raw: "\\x010203" }])
  })

  it("bytes (Uint8Array) are a binary column without a hint; in jsonb and text they are base64", () => {
    const n = make({ maxTableNesting: 1 })
    const batch = ok(n, [{ raw: new Uint8Array([1, 2, 3]), meta: { deep: { b: new Uint8Array([255]) } } }])
    assert.deepStrictEqual(dataColumns(tableOf(batch.tables, "items")), ["raw:binary", "meta__deep:jsonb"])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ raw: "\\x010203", meta__deep: { b: "/w==" } }])
    const texts = make({ columnHints: [{ name: "raw", dataType: "text" }] })
    assert.deepStrictEqual(rowsOf(ok(texts, [{ raw: new Uint8Array([1, 2, 3]) }]), "items").map(data), [{ raw: "AQID" }])
  })

  it("keeps stored and declared types over a hint", () => {
    const known: TableSchema = { name: "items", columns: [...Normalizer.rootSystemColumns, { name: "price", type: "text", nullable: true }] }
    const n = make({ knownTables: [known], columnHints: [{ name: "price", dataType: "bigint" }] })
    assert.deepStrictEqual(dataColumns(tableOf(ok(n, [{ price: 5 }]).tables, "items")), ["price:text"])
  })

  it("makes nullable: false columns NOT NULL and fails records without a value, naming column and record", () => {
    const n = make({ columnHints: [{ name: "sku", dataType: "text", nullable: false }, { name: "qty", nullable: false }] })
    const batch = ok(n, [{ sku: "a", qty: 1 }])
    const root = tableOf(batch.tables, "items")
    assert.isFalse(column(root, "sku").nullable)
    assert.isFalse(column(root, "qty").nullable)
    const missing = fail(n, [{ sku: "b", qty: 2 }, { qty: 3 }], 7)
    assert.strictEqual(missing.recordIndex, 8)
    assert.strictEqual(missing.column, "sku")
    assert.include(missing.message, "sku")
    assert.include(missing.message, "record 8")
    assert.strictEqual(fail(n, [{ sku: "c", qty: null }]).column, "qty")
    // A value that goes to a variant column leaves the column empty too.
    assert.strictEqual(fail(n, [{ sku: "c", qty: "many" }]).column, "qty")
  })

  it("creates key, hard-delete and dedup-sort columns up front when typed", () => {
    const n = make({
      disposition: "merge",
      primaryKey: ["id"],
      columnHints: [
        { name: "id", dataType: "bigint", primaryKey: true },
        { name: "deleted", dataType: "boolean", hardDelete: true },
        { name: "updated_at", dataType: "timestamptz", dedupSort: "desc" }
      ]
    })
    const root = tableOf(ok(n, [{ id: 1 }]).tables, "items")
    assert.deepStrictEqual(dataColumns(root), ["id:bigint", "deleted:boolean", "updated_at:timestamptz"])
    assert.isFalse(column(root, "id").nullable)
    assert.isTrue(column(root, "deleted").nullable)
  })

  it("ignores hints on system columns and shortens long hint names like column names", () => {
    const long = "x".repeat(80)
    const n = make({ columnHints: [{ name: "_rc_id", dataType: "bigint" }, { name: long, dataType: "text" }] })
    const root = tableOf(ok(n, [{ [long]: 1 }]).tables, "items")
    assert.strictEqual(column(root, "_rc_id").type, "text")
    const [row] = rowsOf(ok(n, [{ [long]: 2 }]), "items")
    assert.deepStrictEqual(data(row), { [Naming.shorten(long)]: "2" })
  })
})
