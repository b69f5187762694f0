/**
 * Keys that normalize to one name keep their values: the first key met keeps the plain name,
 * every other gets `<name>_<tag>` (a hash of its own source key), and names recorded by an
 * earlier run (a column's or a child table's source key) are claimed first.
 */
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { normalizeIdentifier, shorten, tagOf } from "../../src/internal/normalize/naming.js"
import { NameClaims } from "../../src/internal/normalize/nameClaims.js"
import { tablesFromSchema } from "../../src/internal/normalize/schemaColumns.js"
import type { TableSchema } from "../../src/internal/normalize/tableSchema.js"
import { data, make, ok, rowsOf, tableOf } from "../support/normalizer.js"

/** The name a losing source key gets. */
const loser = (plain: string, source: ReadonlyArray<string>) => `${plain}_${tagOf(JSON.stringify(source))}`

/** Data columns of a table as `name <- source`. */
const sources = (t: TableSchema) =>
  t.columns.filter((c) => !c.name.startsWith("_rc_")).map((c) => `${c.name} <- ${JSON.stringify(c.source)}`)

describe("names of other scripts", () => {
  it("drop accents from Latin letters and keep letters of other scripts", () => {
    expect(normalizeIdentifier("café")).toBe("cafe")
    expect(normalizeIdentifier("Straße")).toBe("strasse")
    expect(normalizeIdentifier("ærø Łódź")).toBe("aero_lodz")
    expect(normalizeIdentifier("ÆRØ")).toBe("aero")
    expect(normalizeIdentifier("ｆｕｌｌ－ｗｉｄｔｈ")).toBe("full_width")
    expect(normalizeIdentifier("日本語")).toBe("日本語")
    expect(normalizeIdentifier("Привет мир")).toBe("привет_мир")
    expect(normalizeIdentifier("がぎ 한국어")).toBe("がぎ_한국어")
    // No letter at all: dlt's `x`, told apart from other such keys by their claims.
    expect(normalizeIdentifier("💥")).toBe("x")
  })
})

describe("colliding keys", () => {
  it("every key of a record keeps its value, in a column of its own that names its source key", () => {
    const n = make()
    const record = { userId: 1, user_id: 2, UserID: 3, "user-id": 4, "user id": 5, "日本語": 6, "": 7, " ": 8, "!!": 9, "??": 10 }
    const batch = ok(n, [record])
    expect(data(rowsOf(batch, "items")[0])).toEqual({
      user_id: 1,
      [loser("user_id", ["user_id"])]: 2,
      [loser("user_id", ["UserID"])]: 3,
      [loser("user_id", ["user-id"])]: 4,
      [loser("user_id", ["user id"])]: 5,
      "日本語": 6,
      _empty: 7,
      [loser("_empty", [" "])]: 8,
      x: 9,
      [loser("x", ["??"])]: 10
    })
    expect(sources(tableOf(n.tables(), "items"))).toContain(`${loser("user_id", ["UserID"])} <- ["UserID"]`)
    expect(sources(tableOf(n.tables(), "items"))).toContain(`user_id <- ["userId"]`)
  })

  it("a losing key's name does not depend on the other keys or their order", () => {
    const a = ok(make(), [{ user_id: 1, UserID: 2, userId: 3 }])
    const b = ok(make(), [{ user_id: 1, userId: 3 }, { UserID: 2 }])
    expect(data(rowsOf(a, "items")[0])).toEqual({ user_id: 1, [loser("user_id", ["UserID"])]: 2, [loser("user_id", ["userId"])]: 3 })
    expect(data(rowsOf(b, "items")[1])).toEqual({ [loser("user_id", ["UserID"])]: 2 })
  })

  it("nested keys and lists that collide: leaves and child tables of their own", () => {
    const n = make()
    const batch = ok(n, [{ meta: { x: 1 }, Meta: { x: 2 }, tags: ["a"], Tags: ["b"] }])
    expect(data(rowsOf(batch, "items")[0])).toEqual({ meta__x: 1, [loser("meta__x", ["Meta", "x"])]: 2 })
    const other = loser("tags", ["Tags"])
    expect(rowsOf(batch, "items__tags").map((r) => r.value)).toEqual(["a"])
    expect(rowsOf(batch, `items__${other}`).map((r) => r.value)).toEqual(["b"])
    expect(tableOf(n.tables(), `items__${other}`).source).toEqual(["Tags"])
  })

  it("names stored by an earlier run hold whatever order the keys now come in", () => {
    const first = make()
    ok(first, [{ userId: 1, tags: ["a"] }, { user_id: 2, Tags: ["b"] }])
    const stored = first.tables()
    // The next run meets the keys the other way round.
    const second = make({ knownTables: stored })
    const batch = ok(second, [{ Tags: ["c"], user_id: 3, tags: ["d"], userId: 4 }])
    expect(data(rowsOf(batch, "items")[0])).toEqual({ [loser("user_id", ["user_id"])]: 3, user_id: 4 })
    expect(rowsOf(batch, "items__tags").map((r) => r.value)).toEqual(["d"])
    expect(rowsOf(batch, `items__${loser("tags", ["Tags"])}`).map((r) => r.value)).toEqual(["c"])
  })

  it("a stored column without a recorded source goes to the first key that names it, and records it", () => {
    const legacy: TableSchema = {
      name: "items",
      columns: [{ name: "user_id", type: "bigint", nullable: true }]
    }
    const n = make({ knownTables: [legacy] })
    const batch = ok(n, [{ userId: 1, user_id: 2 }])
    expect(data(rowsOf(batch, "items")[0])).toEqual({ user_id: 1, [loser("user_id", ["user_id"])]: 2 })
    expect(sources(tableOf(n.tables(), "items"))).toContain(`user_id <- ["userId"]`)
  })

  it("a Schema's colliding fields get the names the normalizer gives their keys", () => {
    const schema = Schema.Struct({ userId: Schema.Number, user_id: Schema.String, tags: Schema.Array(Schema.String) })
    const declared = tablesFromSchema(schema, "items")
    expect(sources(tableOf(declared, "items"))).toEqual([`user_id <- ["userId"]`, `${loser("user_id", ["user_id"])} <- ["user_id"]`])
    const n = make({ declaredTables: declared })
    const batch = ok(n, [{ user_id: "a", userId: 1, tags: ["x"] }])
    expect(data(rowsOf(batch, "items")[0])).toEqual({ user_id: 1, [loser("user_id", ["user_id"])]: "a" })
  })

  it("a stored child of a shortened table keeps naming its own children as the first run did", () => {
    const rootTable = shorten("a_resource_name_long_enough_that_its_child_tables_must_be_shortened_to_fit_in_postgres")
    const first = make({ rootTable })
    // The key is a scalar in one record and a list in another: one name, a column and a child table.
    const before = ok(first, [{ tags: "x" }, { tags: [{ sub: [1] }] }])
    const names = [...before.rows.keys()]
    expect(names).toHaveLength(3)
    const second = make({ rootTable, knownTables: first.tables() })
    const after = ok(second, [{ tags: "y" }, { tags: [{ sub: [2] }] }])
    expect([...after.rows.keys()]).toEqual(names)
  })

  it("claims: a source keeps its name, others step past taken ones", () => {
    const claims = new NameClaims()
    expect(claims.claim("[\"a\"]", "a")).toBe("a")
    expect(claims.claim("[\"A\"]", "a")).toBe(loser("a", ["A"]))
    expect(claims.claim("[\"a\"]", "a")).toBe("a")
    // A stored name is taken over only by the source whose candidate it is.
    const stored = new NameClaims()
    expect(stored.adopt("[\"A\"]", "a", (name) => name === loser("a", ["A"]))).toBe(loser("a", ["A"]))
    expect(stored.adopt("[\"B\"]", "a", (name) => name === "zzz")).toBeUndefined()
    expect(stored.claim("[\"a\"]", "a")).toBe("a")
  })
})
