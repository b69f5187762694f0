import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { normalizeTableName, shorten } from "../../src/internal/normalize/naming.js"
import type { TableSchema } from "../../src/internal/normalize/tableSchema.js"
import { childrenOf, childSystemColumns, descendsFrom, familyOf, indexByName, rootOf, rootSystemColumns } from "../../src/internal/normalize/tableSchema.js"
import { tablesFromSchema } from "../../src/internal/normalize/schemaColumns.js"
import { make, ok, rowsOf } from "../support/normalizer.js"

const table = (name: string, parent?: string): TableSchema => ({ name, parent, columns: [] })
const names = (tables: ReadonlyArray<TableSchema>): Array<string> => tables.map((t) => t.name)

// Two resources: items (with a grandchild) and orders, whose name shares no prefix with items'.
const items = table("items")
const tags = table("items__tags", "items")
const lines = table("items__lines", "items")
const parts = table("items__lines__parts", "items__lines")
const orders = table("orders")
const orderLines = table("orders__lines", "orders")
const all = [items, tags, orders, lines, orderLines, parts]

describe("table graph helpers", () => {
  it("rootOf follows parent links to the root", () => {
    const byName = indexByName(all)
    assert.strictEqual(rootOf(items, byName), "items")
    assert.strictEqual(rootOf(parts, byName), "items")
    assert.strictEqual(rootOf(orderLines, byName), "orders")
  })

  it("rootOf stops at a parent it does not know, and at links that loop", () => {
    assert.strictEqual(rootOf(parts, indexByName([parts])), "items__lines")
    const a = table("a", "b")
    const b = table("b", "a")
    assert.include(["a", "b"], rootOf(a, indexByName([a, b])))
  })

  it("familyOf gives a table and its descendants, in input order", () => {
    assert.deepStrictEqual(names(familyOf("items", all)), ["items", "items__tags", "items__lines", "items__lines__parts"])
    assert.deepStrictEqual(names(familyOf("orders", all)), ["orders", "orders__lines"])
    assert.deepStrictEqual(names(familyOf("items__lines", all)), ["items__lines", "items__lines__parts"])
    assert.deepStrictEqual(names(familyOf("nothing", all)), [])
  })

  it("descendsFrom and childrenOf", () => {
    const byName = indexByName(all)
    assert.isTrue(descendsFrom(parts, "items", byName))
    assert.isTrue(descendsFrom(items, "items", byName))
    assert.isFalse(descendsFrom(orderLines, "items", byName))
    assert.deepStrictEqual(names(childrenOf("items", all)), ["items__tags", "items__lines"])
    assert.deepStrictEqual(names(childrenOf("items__tags", all)), [])
  })

  it("goes by parent links, not names: a ~100-character root whose child names are shortened", () => {
    const root = normalizeTableName("customer_interaction_analytics_quarterly_".repeat(2) + "report_with_extra_long_suffix")
    assert.strictEqual(Buffer.byteLength(root, "utf8"), 63)
    const child = table(shorten(`${root}__line_items`), root)
    const grandchild = table(shorten(`${root}__line_items__tags`), child.name)
    // Shortened names keep only the head of the root's name.
    assert.isFalse(child.name.startsWith(`${root}__`))
    assert.isFalse(grandchild.name.startsWith(`${root}__`))
    // A table whose name starts like the root's but that belongs to another resource.
    const impostor = table(`${root.slice(0, 20)}_other`)
    const tables = [table(root), impostor, child, grandchild]
    assert.deepStrictEqual(names(familyOf(root, tables)), [root, child.name, grandchild.name])
    assert.strictEqual(rootOf(grandchild, indexByName(tables)), root)
    assert.deepStrictEqual(names(familyOf(impostor.name, tables)), [impostor.name])
  })
})

describe("Normalizer: table graph", () => {
  const longRoot = normalizeTableName("customer_interaction_analytics_quarterly_".repeat(2) + "report_with_extra_long_suffix")
  const record = { id: 1, lineItems: [{ sku: "a", tags: ["x"], matrix: [[1]] }], meta: { labels: ["l"] } }

  it("gives every child table its parent, also when long names are shortened", () => {
    const n = make({ rootTable: longRoot })
    const batch = ok(n, [record])
    const tables = n.tables()
    assert.strictEqual(tables.length, 6)
    const byName = indexByName(tables)
    for (const t of tables) {
      assert.isAtMost(Buffer.byteLength(t.name, "utf8"), 63)
      if (t.name === longRoot) continue
      assert.isDefined(t.parent, t.name)
      assert.isTrue(byName.has(t.parent ?? ""), `${t.name}'s parent ${t.parent}`)
      assert.strictEqual(rootOf(t, byName), longRoot)
      // Child rows point at rows of the parent table.
      const parentIds = new Set(rowsOf(batch, t.parent ?? "").map((r) => r._rc_id))
      for (const row of rowsOf(batch, t.name)) assert.isTrue(parentIds.has(row._rc_parent_id))
    }
    assert.isTrue(tables.some((t) => t.name !== longRoot && !t.name.startsWith(`${longRoot}__`)))
    assert.deepStrictEqual(names(familyOf(longRoot, tables)), names(tables))
    assert.deepStrictEqual(batch.tables.map((t) => t.parent), tables.map((t) => t.parent))
  })

  it("lays out a Schema's tables with the same names and parents as the data makes", () => {
    const Item = Schema.Struct({
      id: Schema.Int,
      lineItems: Schema.Array(Schema.Struct({ sku: Schema.String, tags: Schema.Array(Schema.String), matrix: Schema.Array(Schema.Array(Schema.Int)) })),
      meta: Schema.Struct({ labels: Schema.Array(Schema.String) })
    })
    const declared = tablesFromSchema(Item, longRoot)
    const n = make({ rootTable: longRoot })
    ok(n, [record])
    const key = (tables: ReadonlyArray<TableSchema>) => tables.map((t) => `${t.name} <- ${t.parent}`).sort()
    assert.deepStrictEqual(key(declared), key(n.tables()))
    assert.deepStrictEqual(names(familyOf(longRoot, declared)), names(declared))
  })

  it("shows stored tables whose parent links lead to the root, whatever their names", () => {
    const fresh = make({ rootTable: longRoot })
    ok(fresh, [record])
    const stored = fresh.tables()
    const other: TableSchema = { name: "other", columns: rootSystemColumns }
    const n = make({ rootTable: longRoot, knownTables: [...stored, other] })
    assert.deepStrictEqual(names(n.tables()), names(stored))
    // Their rows keep going to the stored tables, with the stored parents.
    const batch = ok(n, [record])
    assert.deepStrictEqual(batch.tables, stored)
    // A stored table named like a child of ours whose links lead to another resource stays hidden.
    const lookalike: TableSchema = { name: "items__x", parent: "other", columns: childSystemColumns }
    assert.deepStrictEqual(names(make({ knownTables: [other, lookalike] }).tables()), [])
  })

  it("learns a stored table's parent from the declared tables or when it meets the table", () => {
    const stored: ReadonlyArray<TableSchema> = [
      { name: "items", columns: rootSystemColumns },
      { name: "items__tags", columns: childSystemColumns }
    ]
    const n = make({ knownTables: stored })
    // Without a link the stored child is not known to be ours: hidden until met through its parent.
    assert.deepStrictEqual(names(n.tables()), ["items"])
    const batch = ok(n, [{ tags: ["a"] }])
    assert.deepStrictEqual(batch.tables.map((t) => [t.name, t.parent]), [["items", undefined], ["items__tags", "items"]])
    const declared = make({ knownTables: stored, declaredTables: [{ name: "items__tags", parent: "items", columns: childSystemColumns }] })
    assert.deepStrictEqual(declared.tables().map((t) => [t.name, t.parent]), [["items", undefined], ["items__tags", "items"]])
  })
})
