/**
 * Tables that do not exist yet, on every database target: the staging table is renamed into
 * place instead of copied, unless the load cannot take it whole.
 */
import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import { Destination } from "../../src/internal/load/destination.js"
import { ident } from "../../src/internal/load/identifiers.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { col, rootTable } from "../support/tables.js"
import { batch, indexesOf, load, options, select, stagingLeft, storedShape, tableExists, tag, user, users, usersTags } from "./usersFixture.js"

forEachDatabase((target) => {
  const Live = target.destination.pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true })((it) => {
    it.scoped("a first load renames its staging tables into place: NOT NULLs, declared columns, indexes, no _rc_seq", () =>
      Effect.gen(function*() {
        const withEmail = rootTable("users", [col("name", "text"), col("age", "bigint"), col("email", "text")])
        for (const disposition of ["merge", "append", "replace"] as const) {
          const dataset = yield* freshDataset()
          const result = yield* load(options(dataset, "l1", disposition, { declaredTables: [withEmail, usersTags] }), [
            batch([users, [user("l1", 0, "a", "ann", 1)]], [usersTags, [tag(0, "a", 0, "x"), tag(0, "a", 1, "y")]]),
            batch([users, [user("l1", 1, "b", "bob", 2)]])
          ])
          expect(result.rowsPerTable).toEqual({ users: 2, users__tags: 2 })
          expect(yield* select(dataset, "users", ["_rc_id", "_rc_load_id", "name", "age", "email"], "_rc_id")).toEqual([
            { _rc_id: "a", _rc_load_id: "l1", name: "ann", age: "1", email: null },
            { _rc_id: "b", _rc_load_id: "l1", name: "bob", age: "2", email: null }
          ])
          expect(yield* select(dataset, "users__tags", ["_rc_root_id", "_rc_list_idx", "value"], "_rc_list_idx")).toEqual([
            { _rc_root_id: "a", _rc_list_idx: "0", value: "x" },
            { _rc_root_id: "a", _rc_list_idx: "1", value: "y" }
          ])
          // The declared column that got no value is there; the staging-only _rc_seq is not.
          const shape = yield* storedShape(dataset, "users")
          expect(shape.map((c) => [c.name, c.required])).toEqual([
            ["_rc_id", true],
            ["_rc_load_id", true],
            ["name", false],
            ["age", false],
            ["email", false]
          ])
          // A final table, not scratch: written to the WAL like every other table.
          expect(shape.every((c) => c.persistence === "p")).toBe(true)
          // It is the staging table itself (renamed, its _rc_seq dropped), not a copy of it.
          const dropped = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
            sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = to_regclass($1) AND attisdropped`, [
              `${ident(dataset)}.users`
            ]))
          expect(dropped).toEqual([{ n: 1 }])
          expect((yield* storedShape(dataset, "users__tags")).map((c) => c.name)).toEqual([
            "_rc_id",
            "_rc_parent_id",
            "_rc_list_idx",
            "_rc_root_id",
            "value"
          ])
          expect(yield* indexesOf(dataset, "users")).toEqual(disposition === "merge" ? ["CREATE UNIQUE INDEX ON USING btree (_rc_id)"] : [])
          // A child's _rc_root_id index comes with the first merge into it (see above).
          expect(yield* indexesOf(dataset, "users__tags")).toEqual([])
          expect(yield* stagingLeft(dataset)).toEqual([])

          // The next load goes the usual way, into the tables now there.
          yield* load(options(dataset, "l2", disposition), [batch([users, [user("l2", 0, "a", "ann", 3)]])])
          const ages = yield* select(dataset, "users", ["_rc_id", "age"], "_rc_id, age")
          expect(ages).toEqual(
            disposition === "merge"
              ? [{ _rc_id: "a", age: "3" }, { _rc_id: "b", age: "2" }]
              : disposition === "append"
              ? [{ _rc_id: "a", age: "1" }, { _rc_id: "a", age: "3" }, { _rc_id: "b", age: "2" }]
              : [{ _rc_id: "a", age: "3" }]
          )
        }
      }))

    it.scoped("a first merge with an id staged twice copies instead: the last duplicate and its children win", () =>
      Effect.gen(function*() {
        for (const strategy of ["delete-insert", "upsert", "insert-only"] as const) {
          const dataset = yield* freshDataset()
          yield* load(options(dataset, "l1", "merge", { merge: { strategy, mergeKey: [] } }), [
            batch([users, [user("l1", 0, "a", "old", 1), user("l1", 1, "b", "bob", 2)]], [usersTags, [tag(0, "a", 0, "stale")]]),
            batch([users, [user("l1", 2, "a", "new", 3)]], [usersTags, [tag(2, "a", 0, "fresh")]])
          ])
          expect(yield* select(dataset, "users", ["_rc_id", "name"], "_rc_id")).toEqual([
            { _rc_id: "a", name: "new" },
            { _rc_id: "b", name: "bob" }
          ])
          expect(yield* select(dataset, "users__tags", ["_rc_root_id", "value"], "value")).toEqual([
            { _rc_root_id: "a", value: "fresh" }
          ])
          expect(yield* indexesOf(dataset, "users")).toEqual(["CREATE UNIQUE INDEX ON USING btree (_rc_id)"])
          expect(yield* stagingLeft(dataset)).toEqual([])
        }
      }))

    it.scoped("a table created by someone else while the load ran is copied into, not replaced", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const sql = yield* SqlClient.SqlClient
        yield* Effect.scoped(Effect.gen(function*() {
          const destination = yield* Destination
          const resourceLoad = yield* destination.startLoad(options(dataset, "l1", "append"))
          yield* resourceLoad.write(batch([users, [user("l1", 0, "a", "ann", 1)]]))
          // Another writer makes the table (and a row) after our staging began.
          yield* sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${ident(dataset)}`)
          yield* sql.unsafe(
            `CREATE TABLE ${ident(dataset)}.users (_rc_id text NOT NULL, _rc_load_id text NOT NULL, name text, age bigint)`
          )
          yield* sql.unsafe(`INSERT INTO ${ident(dataset)}.users VALUES ('z', 'other', 'zed', 9)`)
          yield* resourceLoad.commit({ startedAt: new Date("2024-01-01T00:00:00Z"), state: undefined })
        }))
        expect(yield* select(dataset, "users", ["_rc_id", "name"], "_rc_id")).toEqual([
          { _rc_id: "a", name: "ann" },
          { _rc_id: "z", name: "zed" }
        ])
        expect(yield* stagingLeft(dataset)).toEqual([])
      }))

    it.scoped("a first load whose rows break a NOT NULL fails whole and leaves no table behind", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const strict = rootTable("users", [col("name", "text", false), col("age", "bigint")])
        const failed = yield* load(options(dataset, "l1", "merge", { declaredTables: [strict] }), [
          batch([users, [user("l1", 0, "a", "ann", 1), { ...user("l1", 1, "b", "bob", 2), name: null }]], [usersTags, [
            tag(0, "a", 0, "x")
          ]])
        ], { cursor: "must not be stored" }).pipe(Effect.flip)
        expect(failed._tag).toBe("DestinationError")
        expect(failed.message).toContain("name")
        expect(yield* tableExists(dataset, "users")).toBe(false)
        expect(yield* tableExists(dataset, "users__tags")).toBe(false)
        expect(yield* Effect.flatMap(Destination, (d) => d.loadState(dataset, "users"))).toBeUndefined()
        expect(yield* stagingLeft(dataset)).toEqual([])
        // The same load with good rows goes through.
        yield* load(options(dataset, "l2", "merge", { declaredTables: [strict] }), [batch([users, [user("l2", 0, "a", "ann", 1)]])])
        expect(yield* select(dataset, "users", ["_rc_id"], "_rc_id")).toEqual([{ _rc_id: "a" }])
      }))
  })
})
