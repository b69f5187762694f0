import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, DateTime, Option, Schema } from "effect"
import * as Normalizer from "../../src/internal/normalize/normalizer.js"
import * as Naming from "../../src/internal/normalize/naming.js"
import { tablesFromSchema } from "../../src/internal/normalize/schemaColumns.js"
import type { ColumnSchema, TableSchema } from "../../src/internal/normalize/tableSchema.js"
import { data, fail, make, ok, rowsOf } from "../support/normalizer.js"


const tableOf = (tables: ReadonlyArray<TableSchema>, name: string): TableSchema => {
  const t = tables.find((t) => t.name === name)
  if (t === undefined) throw new Error(`no table ${name} in ${tables.map((t) => t.name).join(", ")}`)
  return t
}

/** Data columns (system columns left out) as `name:type`. */
const dataColumns = (t: TableSchema): Array<string> =>
  t.columns.filter((c) => !c.name.startsWith("_rc_")).map((c) => `${c.name}:${c.type}`)

const column = (t: TableSchema, name: string): ColumnSchema => {
  const c = t.columns.find((c) => c.name === name)
  if (c === undefined) throw new Error(`no column ${name} in ${t.name}`)
  return c
}


describe("Normalizer: flattening and naming", () => {
  it("normalizes keys, flattens nested objects and puts system columns first", () => {
    const n = make()
    const batch = ok(n, [{ userId: 7, Address: { zipCode: "10115", geo: { lat: 52.5 } } }], 40)
    const root = tableOf(batch.tables, "items")
    assert.deepStrictEqual(root.columns.map((c) => c.name), [
      "_rc_id", "_rc_load_id", "_rc_seq", "user_id", "address__zip_code", "address__geo__lat"
    ])
    assert.isUndefined(root.parent)
    const [row] = rowsOf(batch, "items")
    assert.deepStrictEqual(data(row), { user_id: 7, address__zip_code: "10115", address__geo__lat: 52.5 })
    assert.strictEqual(row._rc_load_id, "load_1")
    assert.strictEqual(row._rc_seq, 40)
    assert.isString(row._rc_id)
  })

  it("gives root rows unique ids and _rc_seq from firstIndex", () => {
    const n = make()
    const a = rowsOf(ok(n, [{ x: 1 }, { x: 2 }], 0), "items")
    const b = rowsOf(ok(n, [{ x: 3 }], 2), "items")
    const ids = [...a, ...b].map((r) => r._rc_id)
    assert.strictEqual(new Set(ids).size, 3)
    assert.deepStrictEqual([...a, ...b].map((r) => r._rc_seq), [0, 1, 2])
  })

  it("maps empty keys to _empty and shortens long column names to 63 bytes", () => {
    const n = make()
    const longKey = "a_very_long_property_name_that_keeps_going_and_going_and_going_on"
    const batch = ok(n, [{ "": 1, nested: { [longKey]: "x" } }])
    const names = tableOf(batch.tables, "items").columns.map((c) => c.name)
    assert.include(names, "_empty")
    const long = names.find((c) => c.startsWith("nested__"))
    assert.isDefined(long)
    assert.isAtMost(Buffer.byteLength(long ?? "", "utf8"), 63)
  })
})

describe("Normalizer: child tables", () => {
  it("turns lists into linked child tables", () => {
    const n = make()
    const batch = ok(n, [{ id: 1, tags: ["a", "b"], lines: [{ sku: "X", qty: 2 }, { sku: "Y", qty: 1 }] }], 5)
    const [root] = rowsOf(batch, "items")

    const tags = tableOf(batch.tables, "items__tags")
    assert.strictEqual(tags.parent, "items")
    assert.deepStrictEqual(tags.columns.map((c) => c.name), [
      "_rc_id", "_rc_parent_id", "_rc_list_idx", "_rc_root_id", "_rc_seq", "value"
    ])
    assert.deepStrictEqual(rowsOf(batch, "items__tags").map((r) => [r.value, r._rc_list_idx, r._rc_parent_id, r._rc_root_id, r._rc_seq]), [
      ["a", 0, root._rc_id, root._rc_id, 5],
      ["b", 1, root._rc_id, root._rc_id, 5]
    ])

    const lines = rowsOf(batch, "items__lines")
    assert.deepStrictEqual(lines.map(data), [{ sku: "X", qty: 2 }, { sku: "Y", qty: 1 }])
    assert.deepStrictEqual(dataColumns(tableOf(batch.tables, "items__lines")), ["sku:text", "qty:bigint"])
    // Root columns do not include the lists.
    assert.deepStrictEqual(dataColumns(tableOf(batch.tables, "items")), ["id:bigint"])
    // Child ids are unique.
    assert.strictEqual(new Set([...rowsOf(batch, "items__tags"), ...lines].map((r) => r._rc_id)).size, 4)
  })

  it("nests child tables and uses the intermediate `list` table for lists of lists", () => {
    const n = make()
    const batch = ok(n, [{
      orders: [{ no: 1, items: [{ sku: "A" }] }],
      matrix: [[1, 2], [3]],
      meta: { labels: ["x"] }
    }])
    const order = rowsOf(batch, "items__orders")[0]
    const item = rowsOf(batch, "items__orders__items")[0]
    assert.strictEqual(item._rc_parent_id, order._rc_id)
    assert.strictEqual(item._rc_root_id, rowsOf(batch, "items")[0]._rc_id)
    assert.strictEqual(tableOf(batch.tables, "items__orders__items").parent, "items__orders")

    // dlt: each inner list is a row of items__matrix, its values go to items__matrix__list.
    const outer = rowsOf(batch, "items__matrix")
    assert.strictEqual(outer.length, 2)
    assert.deepStrictEqual(dataColumns(tableOf(batch.tables, "items__matrix")), [])
    const inner = rowsOf(batch, "items__matrix__list")
    assert.deepStrictEqual(inner.map((r) => [r.value, r._rc_list_idx, r._rc_parent_id]), [
      [1, 0, outer[0]._rc_id],
      [2, 1, outer[0]._rc_id],
      [3, 0, outer[1]._rc_id]
    ])
    assert.strictEqual(tableOf(batch.tables, "items__matrix__list").parent, "items__matrix")

    // A list inside a nested object is named by its full path.
    assert.deepStrictEqual(rowsOf(batch, "items__meta__labels").map((r) => r.value), ["x"])
  })

  it("creates no table for empty lists and keeps null list items as rows", () => {
    const n = make()
    const batch = ok(n, [{ a: [], b: [null, "x"] }])
    assert.isFalse(batch.rows.has("items__a"))
    assert.deepStrictEqual(rowsOf(batch, "items__b").map((r) => [r._rc_list_idx, r.value ?? null]), [[0, null], [1, "x"]])
  })

  it("derives child ids deterministically from the parent id", () => {
    const id = Normalizer.childRowId("parent", "items__tags", 0)
    assert.strictEqual(id, Normalizer.childRowId("parent", "items__tags", 0))
    assert.strictEqual(id.length, 22)
    assert.notStrictEqual(id, Normalizer.childRowId("parent", "items__tags", 1))
    assert.notStrictEqual(id, Normalizer.childRowId("parent", "items__other", 0))
    assert.notStrictEqual(id, Normalizer.childRowId("parent2", "items__tags", 0))
    const many = new Set<string>()
    for (let p = 0; p < 2000; p++) for (let i = 0; i < 50; i++) many.add(Normalizer.childRowId(`p${p}`, "t", i))
    assert.strictEqual(many.size, 100_000)
  })
})

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

describe("Normalizer: max_table_nesting", () => {
  const record = { id: 1, obj: { a: 1, deep: { b: 2 } }, list: [{ c: 3, sub: { d: 4 }, inner: [5] }], nested: [[1]] }

  it("keeps nested values whole as jsonb at 0", () => {
    const n = make({ maxTableNesting: 0 })
    const batch = ok(n, [record])
    assert.deepStrictEqual(batch.tables.map((t) => t.name), ["items"])
    assert.deepStrictEqual(dataColumns(batch.tables[0]), ["id:bigint", "obj:jsonb", "list:jsonb", "nested:jsonb"])
    const [row] = rowsOf(batch, "items")
    assert.deepStrictEqual(row.obj, record.obj)
    assert.deepStrictEqual(row.list, record.list)
  })

  it("flattens and unnests one level at 1", () => {
    const n = make({ maxTableNesting: 1 })
    const batch = ok(n, [record])
    assert.deepStrictEqual(dataColumns(tableOf(batch.tables, "items")), ["id:bigint", "obj__a:bigint", "obj__deep:jsonb"])
    assert.deepStrictEqual(dataColumns(tableOf(batch.tables, "items__list")), ["c:bigint", "sub:jsonb", "inner:jsonb"])
    // The list-in-list row is one level further down, so its `list` is kept whole.
    assert.deepStrictEqual(dataColumns(tableOf(batch.tables, "items__nested")), ["list:jsonb"])
    assert.deepStrictEqual(rowsOf(batch, "items__nested")[0].list, [1])
  })

  it("makes jsonb values JSON-safe", () => {
    const n = make({ maxTableNesting: 0 })
    const [row] = rowsOf(ok(n, [{ o: { big: 10n, dec: BigDecimal.unsafeFromString("1.5"), opt: Option.some(1) } }]), "items")
    assert.strictEqual(JSON.stringify(row.o), JSON.stringify({ big: "10", dec: "1.5", opt: 1 }))
  })

  it("keeps a value whole where the column is already jsonb", () => {
    const known: TableSchema = { name: "items", columns: [{ name: "payload", type: "jsonb", nullable: true }] }
    const n = make({ knownTables: [known] })
    const batch = ok(n, [{ payload: { a: { b: 1 } } }, { payload: "text" }])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ payload: { a: { b: 1 } } }, { payload__v_text: "text" }])
  })
})

describe("Normalizer: merge", () => {
  const merge = (options: Partial<Normalizer.NormalizerOptions> = {}) => make({ disposition: "merge", primaryKey: ["id"], ...options })

  it("derives root ids from the primary key", () => {
    const a = rowsOf(ok(merge(), [{ id: 1, x: "a", tags: ["t"] }, { id: 2 }, { id: 1, x: "b" }]), "items")
    assert.strictEqual(a[0]._rc_id, a[2]._rc_id)
    assert.notStrictEqual(a[0]._rc_id, a[1]._rc_id)
    // Stable across runs and loads, children included.
    const n2 = merge({ loadId: "load_2" })
    const b = ok(n2, [{ id: 1, tags: ["t"] }])
    assert.strictEqual(rowsOf(b, "items")[0]._rc_id, a[0]._rc_id)
    const c = ok(merge(), [{ id: 1, x: "a", tags: ["t"] }])
    assert.strictEqual(rowsOf(b, "items__tags")[0]._rc_id, rowsOf(c, "items__tags")[0]._rc_id)
    assert.strictEqual(a[0]._rc_id, Normalizer.mergeRowId([1]))
  })

  it("supports compound and nested keys and makes key columns not null", () => {
    const n = merge({ primaryKey: ["org__id", "no"] })
    const batch = ok(n, [{ org: { id: "o1" }, no: 1 }, { org: { id: "o1" }, no: 2 }, { org: { id: "o1" }, no: 1 }])
    const ids = rowsOf(batch, "items").map((r) => r._rc_id)
    assert.strictEqual(ids[0], ids[2])
    assert.notStrictEqual(ids[0], ids[1])
    const root = tableOf(batch.tables, "items")
    assert.isFalse(column(root, "org__id").nullable)
    assert.isFalse(column(root, "no").nullable)
  })

  it("fails on a missing or null key, naming the key, table and record", () => {
    const missing = fail(merge(), [{ id: 1 }, { name: "x" }], 10)
    assert.strictEqual(missing._tag, "NormalizeError")
    assert.strictEqual(missing.table, "items")
    assert.strictEqual(missing.recordIndex, 11)
    assert.include(missing.message, "id")
    assert.strictEqual(fail(merge(), [{ id: null }]).recordIndex, 0)
  })

  it("does not apply merge rules to append", () => {
    const rows = rowsOf(ok(make({ primaryKey: ["id"] }), [{ id: 1 }, { id: 1 }, { x: 1 }]), "items")
    assert.notStrictEqual(rows[0]._rc_id, rows[1]._rc_id)
  })
})

describe("Normalizer: errors", () => {
  it("wraps records that are not objects as { value } (dlt's rule)", () => {
    const batch = ok(make(), ["x", 2, [1, 2]])
    const values = rowsOf(batch, "items").map(data)
    // The column is text (first value "x"), so 2 is coerced to "2".
    assert.deepStrictEqual(values.slice(0, 2), [{ value: "x" }, { value: "2" }])
    assert.strictEqual(rowsOf(batch, "items__value").length, 2)
  })

  it("rejects keys that collide with system columns and unstorable values", () => {
    assert.include(fail(make(), [{ _rc_id: "x" }]).message, "_rc_id")
    assert.include(fail(make(), [{ l: [{ _rc_parent_id: 1 }] }]).table, "items__l")
    assert.include(fail(make(), [{ f: () => 1 }]).message, "function")
    assert.include(fail(make(), [{ d: new Date("nope") }]).message, "invalid Date")
  })

  it("keeps working after a failed batch", () => {
    const n = make()
    fail(n, [{ a: 1 }, { _rc_id: "x" }])
    const batch = ok(n, [{ a: 2 }])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ a: 2 }])
  })
})

describe("Normalizer: batches and schema", () => {
  it("returns only tables with rows, with every column seen so far", () => {
    const n = make()
    ok(n, [{ a: 1, l: ["x"] }])
    const second = ok(n, [{ b: "y" }])
    assert.deepStrictEqual(second.tables.map((t) => t.name), ["items"])
    assert.deepStrictEqual(dataColumns(second.tables[0]), ["a:bigint", "b:text"])
    assert.deepStrictEqual([...second.rows.keys()], ["items"])
    assert.deepStrictEqual(n.tables().map((t) => t.name), ["items", "items__l"])
  })

  it("returns schema snapshots that later batches do not change", () => {
    const n = make()
    const first = ok(n, [{ a: 1 }])
    ok(n, [{ b: 1 }])
    assert.deepStrictEqual(dataColumns(first.tables[0]), ["a:bigint"])
  })

  it("keeps the types of known tables and adds _rc_seq to them", () => {
    const known: ReadonlyArray<TableSchema> = [
      { name: "items", columns: [{ name: "_rc_id", type: "text", nullable: false }, { name: "_rc_load_id", type: "text", nullable: false }, { name: "amount", type: "double", nullable: true }, { name: "code", type: "text", nullable: true }] },
      { name: "items__tags", parent: "items", columns: [{ name: "value", type: "text", nullable: true }] },
      { name: "other_resource", columns: [{ name: "z", type: "text", nullable: true }] }
    ]
    const n = make({ knownTables: known })
    assert.deepStrictEqual(n.tables().map((t) => t.name), ["items", "items__tags"])
    const batch = ok(n, [{ amount: 3, code: 12, tags: [1] }])
    const root = tableOf(batch.tables, "items")
    assert.strictEqual(column(root, "_rc_seq").type, "bigint")
    assert.deepStrictEqual(data(rowsOf(batch, "items")[0]), { amount: 3, code: "12" })
    assert.deepStrictEqual(rowsOf(batch, "items__tags").map((r) => r.value), ["1"])
  })

  it("does not keep rows between batches", () => {
    const n = make()
    for (let i = 0; i < 50; i++) {
      const batch = ok(n, Array.from({ length: 100 }, (_, j) => ({ id: i * 100 + j, l: [j] })), i * 100)
      assert.strictEqual(rowsOf(batch, "items").length, 100)
      assert.strictEqual(rowsOf(batch, "items__l").length, 100)
    }
  })
})

// -------------------------------------------------------------------------------------------------

const Order = Schema.Struct({
  id: Schema.Int,
  total: Schema.Number,
  note: Schema.NullOr(Schema.String),
  coupon: Schema.optional(Schema.String),
  createdAt: Schema.Date,
  paidAt: Schema.DateFromString,
  amount: Schema.BigDecimal,
  status: Schema.Literal("open", "closed"),
  customer: Schema.Struct({ name: Schema.String, address: Schema.optional(Schema.Struct({ city: Schema.String })) }),
  tags: Schema.Array(Schema.String),
  lines: Schema.Array(Schema.Struct({ sku: Schema.String, qty: Schema.Int.pipe(Schema.positive()) })),
  meta: Schema.Unknown
})

describe("tablesFromSchema", () => {
  it("lays out the tables the normalizer writes, with the Schema's types", () => {
    const tables = tablesFromSchema(Order, "orders", { primaryKey: ["id"] })
    assert.deepStrictEqual(tables.map((t) => [t.name, t.parent]), [["orders", undefined], ["orders__tags", "orders"], ["orders__lines", "orders"]])
    const root = tables[0]
    assert.deepStrictEqual(root.columns.slice(0, 3).map((c) => c.name), ["_rc_id", "_rc_load_id", "_rc_seq"])
    assert.deepStrictEqual(
      root.columns.slice(3).map((c) => `${c.name}:${c.type}:${c.nullable ? "null" : "not null"}`),
      [
        "id:bigint:not null",
        "total:double:not null",
        "note:text:null",
        "coupon:text:null",
        "created_at:timestamptz:not null",
        "paid_at:timestamptz:not null",
        "amount:numeric:not null",
        "status:text:not null",
        "customer__name:text:not null",
        "customer__address__city:text:null",
        "meta:jsonb:null"
      ]
    )
    assert.deepStrictEqual(tables[1].columns.map((c) => c.name), ["_rc_id", "_rc_parent_id", "_rc_list_idx", "_rc_root_id", "_rc_seq", "value"])
    assert.deepStrictEqual(dataColumns(tables[1]), ["value:text"])
    assert.deepStrictEqual(dataColumns(tables[2]), ["sku:text", "qty:bigint"])
  })

  it("honours max_table_nesting, unions, classes and recursion", () => {
    class Point extends Schema.Class<Point>("Point")({ x: Schema.Number, y: Schema.Number }) {}
    interface Tree { readonly label: string; readonly children: ReadonlyArray<Tree> }
    const Tree: Schema.Schema<Tree> = Schema.Struct({
      label: Schema.String,
      children: Schema.Array(Schema.suspend((): Schema.Schema<Tree> => Tree))
    })
    const S = Schema.Struct({
      shape: Schema.Union(
        Schema.Struct({ kind: Schema.Literal("circle"), r: Schema.Number }),
        Schema.Struct({ kind: Schema.Literal("square"), side: Schema.Int })
      ),
      idOrName: Schema.Union(Schema.Int, Schema.String),
      intOrNumber: Schema.Union(Schema.Int, Schema.Number),
      point: Point,
      grid: Schema.Array(Schema.Array(Schema.Int)),
      tree: Tree,
      maybe: Schema.OptionFromNullOr(Schema.Int)
    })
    const tables = tablesFromSchema(S, "t")
    assert.deepStrictEqual(tables.map((t) => t.name), ["t", "t__grid", "t__grid__list", "t__tree__children", "t__tree__children__children"])
    assert.deepStrictEqual(
      tables[0].columns.slice(3).map((c) => `${c.name}:${c.type}:${c.nullable}`),
      [
        "shape__kind:text:false", "shape__r:double:true", "shape__side:bigint:true", "id_or_name:text:false",
        "int_or_number:double:false", "point__x:double:false", "point__y:double:false", "tree__label:text:false", "maybe:bigint:true"
      ]
    )
    assert.deepStrictEqual(dataColumns(tables[2]), ["value:bigint"])
    assert.deepStrictEqual(dataColumns(tables[3]), ["label:text"])
    // The second time round the recursion, the items' columns are left to inference.
    assert.deepStrictEqual(dataColumns(tables[4]), [])

    const flat = tablesFromSchema(S, "t", { maxTableNesting: 1 })
    assert.deepStrictEqual(flat.map((t) => t.name), ["t", "t__grid"])
    assert.deepStrictEqual(dataColumns(flat[1]), ["list:jsonb"])
    assert.deepStrictEqual(dataColumns(tablesFromSchema(S, "t", { maxTableNesting: 0 })[0]), [
      "shape:jsonb", "id_or_name:text", "int_or_number:double", "point:jsonb", "grid:jsonb", "tree:jsonb", "maybe:bigint"
    ])
  })
})

describe("Normalizer with declared tables", () => {
  const decode = Schema.decodeUnknownSync(Order)
  const input = {
    id: 1, total: 10, note: null, createdAt: "2024-01-01T00:00:00Z", paidAt: "2024-01-02T00:00:00Z", amount: "12.50",
    status: "open", customer: { name: "Ann" }, tags: ["a"], lines: [{ sku: "X", qty: 2 }], meta: { any: ["thing"] }
  }

  it("exposes declared tables before any row and stores values in the declared columns", () => {
    const declared = tablesFromSchema(Order, "orders", { primaryKey: ["id"] })
    const n = Normalizer.make({ rootTable: "orders", loadId: "l", disposition: "merge", primaryKey: ["id"], declaredTables: declared })
    assert.deepStrictEqual(n.tables(), declared)

    const batch = ok(n, [decode(input)])
    // Nothing new: an integer total goes to the double column, meta stays whole in its jsonb column.
    assert.deepStrictEqual(tableOf(batch.tables, "orders"), declared[0])
    const [row] = rowsOf(batch, "orders")
    assert.deepStrictEqual(data(row), {
      id: 1, total: 10, created_at: new Date("2024-01-01T00:00:00Z"), paid_at: new Date("2024-01-02T00:00:00Z"),
      amount: "12.5", status: "open", customer__name: "Ann", meta: { any: ["thing"] }
    })
    assert.deepStrictEqual(rowsOf(batch, "orders__lines").map(data), [{ sku: "X", qty: 2 }])
    assert.deepStrictEqual(tableOf(batch.tables, "orders__lines"), declared[2])
  })

  it("types declared columns up front even when values would infer otherwise", () => {
    const S = Schema.Struct({ ratio: Schema.Number, label: Schema.String })
    const n = make({ declaredTables: tablesFromSchema(S, "items") })
    const batch = ok(n, [{ ratio: 3, label: "2024-01-01T00:00:00Z" }, { ratio: 3.5, label: "x" }])
    assert.deepStrictEqual(dataColumns(tableOf(batch.tables, "items")), ["ratio:double", "label:text"])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ ratio: 3, label: "2024-01-01T00:00:00Z" }, { ratio: 3.5, label: "x" }])
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

describe("Normalizer: root ids", () => {
  const scd2 = (loadId: string) => make({ disposition: "merge", primaryKey: ["id"], rootId: "content", loadId })

  it("content: same data gives the same id across loads, changed data a new one", () => {
    const a = ok(scd2("load_1"), [{ id: 1, name: "a", meta: { x: 1, y: [1, 2] }, tags: ["t"] }], 0)
    // Key order and row position do not matter; system columns are left out.
    const b = ok(scd2("load_2"), [{ id: 2, name: "b" }, { tags: ["t"], meta: { y: [1, 2], x: 1 }, name: "a", id: 1 }], 50)
    const c = ok(scd2("load_3"), [{ id: 1, name: "A", meta: { x: 1, y: [1, 2] }, tags: ["t"] }])
    const idA = rowsOf(a, "items")[0]._rc_id
    assert.strictEqual(rowsOf(b, "items")[1]._rc_id, idA)
    assert.notStrictEqual(rowsOf(b, "items")[0]._rc_id, idA)
    assert.notStrictEqual(rowsOf(c, "items")[0]._rc_id, idA)
    // Child ids stay derived from the parent id.
    assert.strictEqual(rowsOf(b, "items__tags")[0]._rc_id, Normalizer.childRowId(String(idA), "items__tags", 0))
    assert.strictEqual(rowsOf(a, "items__tags")[0]._rc_parent_id, idA)
    // Values are hashed in their stored form: "1" in a bigint column is 1.
    const same = rowsOf(ok(scd2("x"), [{ id: 1, n: 5 }, { id: 1, n: "5" }]), "items")
    assert.strictEqual(same[0]._rc_id, same[1]._rc_id)
  })

  it("content: jsonb cells hash alike whatever their key order", () => {
    const n = make({ rootId: "content", maxTableNesting: 0 })
    const rows = rowsOf(ok(n, [{ doc: { a: 1, b: { c: 2, d: 3 } } }, { doc: { b: { d: 3, c: 2 }, a: 1 } }, { doc: { a: 2 } }]), "items")
    assert.strictEqual(rows[0]._rc_id, rows[1]._rc_id)
    assert.notStrictEqual(rows[0]._rc_id, rows[2]._rc_id)
  })

  it("a row version column (scd2's row_version_column_name) is the id, as text; missing is an error", () => {
    const n = () => make({ disposition: "merge", primaryKey: ["id"], rootId: { column: "version" } })
    const rows = rowsOf(ok(n(), [{ id: 1, version: 7, tags: ["t"] }, { id: 1, version: 8 }]), "items")
    assert.deepStrictEqual(rows.map((r) => r._rc_id), ["7", "8"])
    assert.strictEqual(rowsOf(ok(n(), [{ id: 1, version: 7, tags: ["t"] }]), "items__tags")[0]._rc_parent_id, "7")
    const error = fail(n(), [{ id: 1, version: 7 }, { id: 2 }])
    assert.match(error.message, /row version column version is missing or null/)
    assert.strictEqual(error.recordIndex, 1)
  })

  it("key and random modes, and key without key columns falls back to random", () => {
    const keyed = rowsOf(ok(make({ rootId: "key", primaryKey: ["id"] }), [{ id: 1 }, { id: 1 }]), "items")
    assert.strictEqual(keyed[0]._rc_id, keyed[1]._rc_id)
    const random = rowsOf(ok(make({ disposition: "merge", primaryKey: ["id"], rootId: "random" }), [{ id: 1 }, { id: 1 }]), "items")
    assert.notStrictEqual(random[0]._rc_id, random[1]._rc_id)
    const noKey = rowsOf(ok(make({ disposition: "merge", primaryKey: [] }), [{ x: 1 }, { x: 1 }]), "items")
    assert.notStrictEqual(noKey[0]._rc_id, noKey[1]._rc_id)
  })
})

describe("Normalizer: long identifiers", () => {
  const bytes = (s: string) => Buffer.byteLength(s, "utf8")
  const key100 = "customField" + "Abc".repeat(29) + "End" // 101 chars
  const similar = "customField" + "Abc".repeat(14) + "Xyz" + "Abc".repeat(14) + "End"

  it("shortens 100-char keys to 63 bytes, stably and without collisions", () => {
    const a = tableOf(ok(make(), [{ [key100]: 1, [similar]: 2 }]).tables, "items")
    const names = dataColumns(a).map((c) => c.split(":")[0])
    assert.strictEqual(names.length, 2)
    assert.notStrictEqual(names[0], names[1])
    for (const name of names) assert.isAtMost(bytes(name), 63)
    // Stable across normalizers (runs).
    const b = tableOf(ok(make(), [{ [key100]: 1, [similar]: 2 }]).tables, "items")
    assert.deepStrictEqual(dataColumns(b), dataColumns(a))
  })

  it("shortens variant columns and child table names too", () => {
    const n = make()
    const batch = ok(n, [{ [key100]: 1, [similar]: ["a"], nested: { [key100]: [{ v: 1 }] } }, { [key100]: "text" }])
    for (const t of batch.tables) {
      assert.isAtMost(bytes(t.name), 63)
      for (const c of t.columns) assert.isAtMost(bytes(c.name), 63)
    }
    const root = tableOf(batch.tables, "items")
    const variant = root.columns.find((c) => c.name.endsWith("__v_text"))
    assert.isDefined(variant)
    assert.strictEqual(variant?.name, Normalizer.variantColumnName(Naming.shorten(Naming.normalizeIdentifier(key100)), "text"))
    const children = batch.tables.filter((t) => t.parent === "items").map((t) => t.name)
    assert.strictEqual(children.length, 2)
    assert.notStrictEqual(children[0], children[1])
    // Multi-byte keys are cut on code points, within 63 bytes.
    const wide = tableOf(ok(make(), [{ ["ключ".repeat(20)]: 1 }]).tables, "items")
    for (const c of wide.columns) assert.isAtMost(bytes(c.name), 63)
  })
})
