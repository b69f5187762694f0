/**
 * Table parentage on every database target: a root's child tables are known from the
 * normalizer's `parent` and, once stored, from `_rc_tables`, never from their names. A
 * ~100-character resource name makes shortened child names that do not start with `<root>__`.
 */
import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import { Destination } from "../../src/internal/load/destination.js"
import { ident } from "../../src/internal/load/identifiers.js"
import { shorten } from "../../src/internal/normalize/naming.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { childTable, col, rootTable } from "../support/tables.js"
import { batch, countRows, load, options, select, tag, user, users, usersTags } from "./usersFixture.js"

const resource = "customer_accounts_with_their_billing_profiles_and_every_subscription_they_ever_held_in_any_region"
/** As the pipeline names a resource's table and the normalizer its list tables. */
const longRoot = shorten(resource)
const longChild = shorten(`${longRoot}__tags`)
const root = rootTable(longRoot, [col("name", "text"), col("age", "bigint")])
const child = childTable(longChild, longRoot, [col("value", "text")])

const longOptions = (dataset: string, loadId: string, disposition: "merge" | "replace") =>
  options(dataset, loadId, disposition, { resource, rootTable: longRoot })

/** Child rows as `root id:value`, in order. */
const childRows = (dataset: string) =>
  select(dataset, longChild, ["_rc_root_id", "value"], "_rc_root_id, value").pipe(
    Effect.map((rows) => rows.map((r) => `${r._rc_root_id}:${r.value}`))
  )

/** `_rc_tables` rows as `table parent root`. */
const links = (dataset: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ table_name: string; parent_name: string | null; root_name: string }>(
      `SELECT table_name, parent_name, root_name FROM ${ident(dataset)}."_rc_tables"`
    )).pipe(Effect.map((rows) => rows.map((r) => `${r.table_name} ${r.parent_name ?? "-"} ${r.root_name}`).sort()))

forEachDatabase((target) => {
  const Live = target.destination.pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true })((it) => {
    it("the shortened names of the long resource do not tell parentage", () => {
      expect(resource.length).toBeGreaterThan(90)
      expect(Buffer.byteLength(longChild)).toBeLessThanOrEqual(63)
      expect(longChild.startsWith(`${longRoot}__`)).toBe(false)
    })

    it.scoped("a second merge replaces the children of merged records, without duplicates", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        yield* load(longOptions(dataset, "l1", "merge"), [
          batch([root, [user("l1", 0, "a", "ann", 1), user("l1", 1, "b", "bob", 2)]], [child, [
            tag(0, "a", 0, "a1"),
            tag(0, "a", 1, "a2"),
            tag(1, "b", 0, "b1")
          ]])
        ])
        const second = [
          batch([root, [user("l2", 0, "a", "ann", 3), user("l2", 1, "c", "cid", 4)]], [child, [
            tag(0, "a", 0, "a3"),
            tag(1, "c", 0, "c1")
          ]])
        ]
        const result = yield* load(longOptions(dataset, "l2", "merge"), second)
        expect(result.rowsPerTable).toEqual({ [longRoot]: 2, [longChild]: 2 })
        expect(yield* childRows(dataset)).toEqual(["a:a3", "b:b1", "c:c1"])
        // The same load again converges to the same rows.
        yield* load(longOptions(dataset, "l2", "merge"), second)
        expect(yield* childRows(dataset)).toEqual(["a:a3", "b:b1", "c:c1"])
        expect(yield* countRows(dataset, longRoot)).toBe(3)

        const stored = yield* Effect.flatMap(Destination, (d) => d.storedTables(dataset))
        expect(new Map(stored.map((t) => [t.name, t.parent]))).toEqual(new Map([[longRoot, undefined], [longChild, longRoot]]))
        expect(yield* links(dataset)).toEqual([`${longRoot} - ${longRoot}`, `${longChild} ${longRoot} ${longRoot}`].sort())
      }))

    it.scoped("replace leaves exactly the last load's child rows", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        yield* load(longOptions(dataset, "l1", "replace"), [
          batch([root, [user("l1", 0, "a", "ann", 1), user("l1", 1, "b", "bob", 2)]], [child, [
            tag(0, "a", 0, "a1"),
            tag(1, "b", 0, "b1")
          ]])
        ])
        yield* load(longOptions(dataset, "l2", "replace"), [
          batch([root, [user("l2", 0, "c", "cid", 3)]], [child, [tag(0, "c", 0, "c1"), tag(0, "c", 1, "c2")]])
        ])
        expect(yield* childRows(dataset)).toEqual(["c:c1", "c:c2"])
        // A last load without list items empties the child table too.
        yield* load(longOptions(dataset, "l3", "replace"), [batch([root, [user("l3", 0, "d", "dan", 4)]])])
        expect(yield* select(dataset, longRoot, ["_rc_id"], "_rc_id")).toEqual([{ _rc_id: "d" }])
        expect(yield* countRows(dataset, longChild)).toBe(0)
      }))

    it.scoped("a dataset written before _rc_tables: the naming rule stands in, and the next commit records the links", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const sql = yield* SqlClient.SqlClient
        yield* load(options(dataset, "l1", "replace"), [
          batch([users, [user("l1", 0, "a", "ann", 1)]], [usersTags, [tag(0, "a", 0, "x")]])
        ])
        yield* sql.unsafe(`DROP TABLE ${ident(dataset)}."_rc_tables"`)
        const stored = yield* Effect.flatMap(Destination, (d) => d.storedTables(dataset))
        expect(new Map(stored.map((t) => [t.name, t.parent]))).toEqual(new Map([["users", undefined], ["users__tags", "users"]]))

        // No list items this time: the old child table is still found, and emptied.
        yield* load(options(dataset, "l2", "replace"), [batch([users, [user("l2", 0, "b", "bob", 2)]])])
        expect(yield* countRows(dataset, "users__tags")).toBe(0)
        expect(yield* links(dataset)).toEqual(["users - users", "users__tags users users"])
      }))
  })
})
