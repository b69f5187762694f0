import { assert, describe, it } from "@effect/vitest"
import * as Normalizer from "../../src/internal/normalize/normalizer.js"
import { column, fail, make, ok, rowsOf, tableOf } from "../support/normalizer.js"

// Row identity: child ids from the parent id, root ids from the key, the content or a column.

describe("Normalizer: child row ids", () => {
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

  it("a merge key's id never changes between versions (stored ids must keep matching)", () => {
    assert.deepStrictEqual(
      [
        Normalizer.mergeRowId([1]),
        Normalizer.mergeRowId(["apl_000001"]),
        Normalizer.mergeRowId(["a\"b\\c\n", 5, new Date(0)]),
        Normalizer.mergeRowId([{ x: [1, "é"] }, true, 1.5, "日本"])
      ],
      ["Q946QX119IGMWlUyaLgM46", "fFRX4-WBG9TWm3J3g5KEGD", "Ruaa17PjmDvD4hKymfDRhu", "GRykcREnCjFfg6eqxK5mwi"]
    )
  })
})
