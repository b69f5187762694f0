import { assert, describe, it } from "@effect/vitest"
import * as Normalizer from "../../src/internal/normalize/normalizer.js"
import type { Row, TableSchema } from "../../src/internal/normalize/tableSchema.js"
import { data, fail, make, ok, rowsOf } from "../support/normalizer.js"

type Mode = Normalizer.ContractMode

const contract = (c: Partial<Normalizer.SchemaContract>): Normalizer.SchemaContract => ({
  tables: "evolve",
  columns: "evolve",
  dataType: "evolve",
  ...c
})



const columnNames = (tables: ReadonlyArray<TableSchema>, name: string): Array<string> =>
  (tables.find((t) => t.name === name)?.columns ?? []).map((c) => c.name).filter((c) => !c.startsWith("_rc_"))

/** Every child row's parent is a row of its parent table in the same batch. */
const assertNoOrphans = (batch: Normalizer.NormalizedBatch): void => {
  for (const t of batch.tables) {
    if (t.parent === undefined) continue
    const parentIds = new Set(rowsOf(batch, t.parent).map((r) => r._rc_id))
    for (const row of rowsOf(batch, t.name)) {
      assert.isTrue(parentIds.has(row._rc_parent_id), `orphan row in ${t.name}`)
    }
  }
}

// The stored schema of an earlier run: items(id bigint, name text), items__tags(value text).
const knownItems: TableSchema = {
  name: "items",
  columns: [...Normalizer.rootSystemColumns, { name: "id", type: "bigint", nullable: true }, { name: "name", type: "text", nullable: true }]
}
const knownTags: TableSchema = {
  name: "items__tags",
  parent: "items",
  columns: [...Normalizer.childSystemColumns, { name: "value", type: "text", nullable: true }]
}
const knownLines: TableSchema = {
  name: "items__lines",
  parent: "items",
  columns: [...Normalizer.childSystemColumns, { name: "sku", type: "text", nullable: true }, { name: "qty", type: "bigint", nullable: true }]
}
const known = (c: Partial<Normalizer.SchemaContract>) => make({ knownTables: [knownItems, knownTags, knownLines], contract: contract(c) })

describe("schema_contract: tables", () => {
  it("evolve creates the root table on a first load", () => {
    const batch = ok(make({ contract: contract({ tables: "evolve" }) }), [{ id: 1 }])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ id: 1 }])
  })

  it("freeze fails on a new root table, naming it and the record", () => {
    const e = fail(make({ contract: contract({ tables: "freeze" }) }), [{ id: 1 }], 5)
    assert.include(e.message, "schema_contract freeze: new table 'items'")
    assert.strictEqual(e.table, "items")
    assert.strictEqual(e.recordIndex, 5)
  })

  for (const mode of ["discard_row", "discard_value"] as const) {
    it(`${mode} drops the rows of a new root table`, () => {
      const n = make({ contract: contract({ tables: mode }) })
      const batch = ok(n, [{ id: 1, tags: ["a"] }])
      assert.strictEqual(batch.tables.length, 0)
      assert.strictEqual(batch.rows.size, 0)
      assert.strictEqual(n.tables().length, 0)
    })
  }

  it("counts known, declared and type-hinted root tables as existing", () => {
    assert.strictEqual(rowsOf(ok(known({ tables: "freeze" }), [{ id: 1 }]), "items").length, 1)
    const declared = make({ declaredTables: [knownItems], contract: contract({ tables: "freeze" }) })
    assert.strictEqual(rowsOf(ok(declared, [{ id: 1 }]), "items").length, 1)
    // dlt: a table with a typed column exists; a hint without a type does not make it so.
    const hinted = make({ columnHints: [{ name: "id", dataType: "bigint" }], contract: contract({ tables: "freeze" }) })
    assert.strictEqual(rowsOf(ok(hinted, [{ id: 1 }]), "items").length, 1)
    const untyped = make({ columnHints: [{ name: "id", nullable: false }], contract: contract({ tables: "freeze" }) })
    assert.include(fail(untyped, [{ id: 1 }]).message, "new table 'items'")
  })

  it("freeze fails on a new child table, naming it and the record", () => {
    const n = known({ tables: "freeze" })
    ok(n, [{ id: 1, tags: ["a"] }])
    const e = fail(n, [{ id: 2 }, { id: 3, labels: [{ x: 1 }] }], 10)
    assert.include(e.message, "new table 'items__labels'")
    assert.strictEqual(e.table, "items__labels")
    assert.strictEqual(e.recordIndex, 11)
  })

  for (const mode of ["discard_row", "discard_value"] as const) {
    it(`${mode} drops the rows of a new child table (and their own lists), keeping the parent`, () => {
      const n = known({ tables: mode })
      const batch = ok(n, [{ id: 1, tags: ["a"], labels: [{ x: 1, subs: [1, 2] }] }])
      assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ id: 1 }])
      assert.deepStrictEqual(rowsOf(batch, "items__tags").map(data), [{ value: "a" }])
      assert.deepStrictEqual(batch.tables.map((t) => t.name).sort(), ["items", "items__tags"])
      assert.isFalse(n.tables().some((t) => t.name.startsWith("items__labels")))
      assertNoOrphans(batch)
    })
  }

  it("evolve creates new child tables and their columns evolve for the run", () => {
    const n = known({ tables: "evolve", columns: "freeze" })
    const batch = ok(n, [{ id: 1, labels: [{ x: 1 }, { y: 2 }] }, { id: 2, labels: [{ z: 3 }] }])
    assert.deepStrictEqual(columnNames(batch.tables, "items__labels"), ["x", "y", "z"])
    assertNoOrphans(batch)
  })
})

describe("schema_contract: columns", () => {
  it("evolve adds a new column to an existing table", () => {
    const batch = ok(known({ columns: "evolve" }), [{ id: 1, color: "red" }])
    assert.deepStrictEqual(columnNames(batch.tables, "items"), ["id", "name", "color"])
  })

  it("freeze fails on a new column, naming table, column and record", () => {
    const e = fail(known({ columns: "freeze" }), [{ id: 1 }, { id: 2, meta: { color: "red" } }], 20)
    assert.include(e.message, "schema_contract freeze: new column 'meta__color' in table 'items'")
    assert.strictEqual(e.table, "items")
    assert.strictEqual(e.column, "meta__color")
    assert.strictEqual(e.recordIndex, 21)
  })

  it("discard_row drops the whole record with its child rows", () => {
    const n = known({ columns: "discard_row" })
    const batch = ok(n, [
      { id: 1, tags: ["a"], lines: [{ sku: "s", qty: 1 }] },
      { id: 2, color: "red", tags: ["b"], lines: [{ sku: "t", qty: 2 }] },
      { id: 3, tags: ["c"] }
    ])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ id: 1 }, { id: 3 }])
    assert.deepStrictEqual(rowsOf(batch, "items__tags").map(data), [{ value: "a" }, { value: "c" }])
    assert.deepStrictEqual(rowsOf(batch, "items__lines").map(data), [{ sku: "s", qty: 1 }])
    assert.deepStrictEqual(columnNames(batch.tables, "items"), ["id", "name"])
    assertNoOrphans(batch)
  })

  it("discard_row on a child table drops that child row and its own lists only", () => {
    const lines: TableSchema = { ...knownLines }
    const n = make({ knownTables: [knownItems, lines], contract: contract({ columns: "discard_row" }) })
    const batch = ok(n, [{ id: 1, lines: [{ sku: "s", qty: 1 }, { sku: "t", parts: [1], extra: true }, { sku: "u" }] }])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ id: 1 }])
    assert.deepStrictEqual(rowsOf(batch, "items__lines").map((r) => [r._rc_list_idx, data(r)]), [[0, { sku: "s", qty: 1 }], [2, { sku: "u" }]])
    assert.strictEqual(rowsOf(batch, "items__lines__parts").length, 0)
    assertNoOrphans(batch)
  })

  it("discard_value drops just the new column's value", () => {
    const n = known({ columns: "discard_value" })
    const batch = ok(n, [{ id: 1, color: "red", meta: { a: 1 }, tags: ["x"] }])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ id: 1 }])
    assert.deepStrictEqual(rowsOf(batch, "items__tags").map(data), [{ value: "x" }])
    assert.deepStrictEqual(columnNames(n.tables(), "items"), ["id", "name"])
  })

  it("lets a new root table's columns evolve for the whole run (dlt)", () => {
    const n = make({ contract: contract({ columns: "freeze" }) })
    ok(n, [{ id: 1 }])
    const batch = ok(n, [{ id: 2, color: "red" }])
    assert.deepStrictEqual(columnNames(batch.tables, "items"), ["id", "color"])
  })

  it("applies to a root that exists through typed hints", () => {
    const n = make({ columnHints: [{ name: "id", dataType: "bigint" }], contract: contract({ columns: "freeze" }) })
    assert.strictEqual(fail(n, [{ id: 1, color: "red" }]).column, "color")
  })

  it("does not count a column seen only as null as new until it has a value", () => {
    const n = known({ columns: "freeze" })
    assert.strictEqual(rowsOf(ok(n, [{ id: 1, color: null }]), "items").length, 1)
    assert.strictEqual(fail(n, [{ id: 1, color: "red" }]).column, "color")
  })
})

describe("schema_contract: data_type", () => {
  it("evolve sends a value that does not fit to a variant column", () => {
    const batch = ok(known({ dataType: "evolve" }), [{ id: "abc" }])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ id__v_text: "abc" }])
  })

  it("freeze fails, naming table, column and record; coercible values still pass", () => {
    const n = known({ dataType: "freeze" })
    assert.deepStrictEqual(rowsOf(ok(n, [{ id: "42", name: 7 }]), "items").map(data), [{ id: "42", name: "7" }])
    const e = fail(n, [{ id: 1 }, { id: 2 }, { id: "abc" }], 3)
    assert.include(e.message, "schema_contract freeze: value of column 'id' in table 'items' is text")
    assert.strictEqual(e.table, "items")
    assert.strictEqual(e.column, "id")
    assert.strictEqual(e.recordIndex, 5)
  })

  it("discard_row drops the record with its children and undoes columns it created", () => {
    const n = known({ dataType: "discard_row" })
    const batch = ok(n, [
      { id: 1, tags: ["a"] },
      { fresh: 1, tags: ["b"], lines: [{ sku: "x", parts: [1] }], id: "abc" },
      { id: 3, lines: [{ sku: "y" }] }
    ])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ id: 1 }, { id: 3 }])
    assert.deepStrictEqual(rowsOf(batch, "items__tags").map(data), [{ value: "a" }])
    assert.deepStrictEqual(rowsOf(batch, "items__lines").map(data), [{ sku: "y" }])
    assert.deepStrictEqual(columnNames(n.tables(), "items"), ["id", "name"])
    assertNoOrphans(batch)
    // The undone column comes back with the next record that has it.
    assert.deepStrictEqual(rowsOf(ok(n, [{ id: 4, fresh: 2 }]), "items").map(data), [{ id: 4, fresh: 2 }])
    assert.deepStrictEqual(columnNames(n.tables(), "items"), ["id", "name", "fresh"])
  })

  it("discard_row in a child table drops only that child row", () => {
    const n = known({ dataType: "discard_row" })
    const batch = ok(n, [{ id: 1, lines: [{ sku: "x", qty: 1 }, { sku: "y", parts: ["p"], qty: "lots" }] }])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ id: 1 }])
    assert.deepStrictEqual(rowsOf(batch, "items__lines").map(data), [{ sku: "x", qty: 1 }])
    assert.strictEqual(rowsOf(batch, "items__lines__parts").length, 0)
    assertNoOrphans(batch)
  })

  it("discard_value drops just the value", () => {
    const batch = ok(known({ dataType: "discard_value" }), [{ id: "abc", name: "n", tags: ["t"] }])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ name: "n" }])
    assert.strictEqual(rowsOf(batch, "items__tags").length, 1)
    assertNoOrphans(batch)
  })

  it("lets existing variant columns take their values", () => {
    const withVariant: TableSchema = { ...knownItems, columns: [...knownItems.columns, { name: "id__v_text", type: "text", nullable: true }] }
    const n = make({ knownTables: [withVariant], contract: contract({ dataType: "freeze" }) })
    assert.deepStrictEqual(rowsOf(ok(n, [{ id: "abc" }]), "items").map(data), [{ id__v_text: "abc" }])
  })

  it("applies to columns of tables created in this run", () => {
    const n = make({ contract: contract({ dataType: "freeze" }) })
    assert.strictEqual(fail(n, [{ x: 1 }, { x: "abc" }]).recordIndex, 1)
  })
})

describe("schema_contract: combinations", () => {
  const records = [
    { id: 1, name: "a", tags: ["x", "y"], lines: [{ sku: "s", qty: 1 }] },
    { id: 2, name: "b", color: "red", lines: [{ sku: "t", qty: "many" }] },
    { id: "three", labels: [{ v: 1 }] }
  ]

  it("all evolve gives the same result as no contract", () => {
    const a = ok(make({ knownTables: [knownItems, knownTags, knownLines] }), records)
    const b = ok(known({}), records)
    assert.deepStrictEqual(b.tables, a.tables)
    const strip = (rows: ReadonlyArray<Row>) => rows.map((r) => ({ ...r, _rc_id: "", _rc_parent_id: "", _rc_root_id: "" }))
    for (const [name, rows] of a.rows) assert.deepStrictEqual(strip(rowsOf(b, name)), strip(rows))
  })

  it("a dropped row never leaves child rows behind, whatever the mode", () => {
    const modes: ReadonlyArray<Mode> = ["evolve", "discard_row", "discard_value"]
    for (const tables of modes) {
      for (const columns of modes) {
        for (const dataType of modes) {
          const batch = ok(known({ tables, columns, dataType }), records)
          assertNoOrphans(batch)
          for (const t of batch.tables) assert.isTrue(batch.rows.has(t.name))
        }
      }
    }
  })

  it("a failed batch under freeze does not poison later batches", () => {
    const n = known({ columns: "freeze" })
    fail(n, [{ id: 1, tags: ["a"] }, { id: 2, color: "red" }])
    const batch = ok(n, [{ id: 3, tags: ["b"] }])
    assert.deepStrictEqual(rowsOf(batch, "items").map(data), [{ id: 3 }])
    assert.deepStrictEqual(rowsOf(batch, "items__tags").map(data), [{ value: "b" }])
  })
})
