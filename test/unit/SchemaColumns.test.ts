import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import * as Normalizer from "../../src/internal/normalize/normalizer.js"
import { tablesFromSchema } from "../../src/internal/normalize/schemaColumns.js"
import { data, dataColumns, make, ok, rowsOf, tableOf } from "../support/normalizer.js"

// An Effect Schema's tables (tablesFromSchema) and the normalizer writing into them.

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
