import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, Option } from "effect"
import * as Normalizer from "../../src/internal/normalize/normalizer.js"
import * as Naming from "../../src/internal/normalize/naming.js"
import type { TableSchema } from "../../src/internal/normalize/tableSchema.js"
import { column, data, dataColumns, fail, make, ok, rowsOf, tableOf } from "../support/normalizer.js"

// Records into rows per table: flattening, child tables, max_table_nesting, errors, batches.
// Types and coercion: NormalizerTypes.test.ts; ids: RowIdentity.test.ts; Schemas: SchemaColumns.test.ts.

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
