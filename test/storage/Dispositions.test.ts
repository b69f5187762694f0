/**
 * Write dispositions (append, replace, merge) of the `users` resource, its indexes, new columns
 * and declared tables, on every database target.
 */
import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Deferred, Effect, Fiber, Layer, Schedule } from "effect"
import { Destination } from "../../src/internal/load/destination.js"
import { ident } from "../../src/internal/load/identifiers.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { col, rootTable } from "../support/tables.js"
import { batch, countRows, indexesOf, load, options, select, stagingLeft, tableExists, tag, user, users, usersTags } from "./usersFixture.js"

forEachDatabase((target) => {
  const Live = target.destination.pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true })((it) => {
    it.scoped("append twice gives twice the rows, one _rc_loads row per commit", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const rows = (loadId: string) => [user(loadId, 0, `${loadId}-1`, "ann", 30), user(loadId, 1, `${loadId}-2`, "bob", 40)]
        const first = yield* load(options(dataset, "l1", "append"), [
          batch([users, rows("l1")], [usersTags, [tag(0, "l1-1", 0, "a")]])
        ])
        expect(first.rowsPerTable).toEqual({ users: 2, users__tags: 1 })
        yield* load(options(dataset, "l2", "append"), [batch([users, rows("l2")])])
        expect(yield* countRows(dataset, "users")).toBe(4)
        expect(yield* countRows(dataset, "users__tags")).toBe(1)
        const loads = yield* select(dataset, "_rc_loads", ["load_id", "resource", "rows", "status", "started_at"], "load_id")
        expect(loads.map((r) => [r.load_id, r.resource, r.status])).toEqual([["l1", "users", "committed"], [
          "l2",
          "users",
          "committed"
        ]])
        expect(JSON.parse(loads[0]?.rows ?? "null")).toEqual({ users: 2, users__tags: 1 })
        expect(new Date(loads[0]?.started_at ?? "").toISOString()).toBe("2024-01-01T00:00:00.000Z")
        // _rc_seq stays in staging
        const stored = yield* Effect.flatMap(Destination, (d) => d.storedTables(dataset))
        expect(stored.find((t) => t.name === "users")?.columns.map((c) => c.name)).toEqual([
          "_rc_id",
          "_rc_load_id",
          "name",
          "age"
        ])
        expect(yield* stagingLeft(dataset)).toEqual([])
      }))

    it.scoped("replace leaves exactly the new rows, child tables included", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        yield* load(options(dataset, "l1", "replace"), [
          batch([users, [user("l1", 0, "a", "ann", 1), user("l1", 1, "b", "bob", 2)]], [usersTags, [
            tag(0, "a", 0, "x"),
            tag(1, "b", 0, "y")
          ]])
        ])
        // Second run: no tags at all; the stored child table must still be emptied.
        const result = yield* load(options(dataset, "l2", "replace"), [batch([users, [user("l2", 0, "c", "cid", 3)]])])
        expect(result.rowsPerTable).toEqual({ users: 1 })
        expect(yield* select(dataset, "users", ["_rc_id", "name"], "_rc_id")).toEqual([{ _rc_id: "c", name: "cid" }])
        expect(yield* countRows(dataset, "users__tags")).toBe(0)

        // A replace with no rows at all empties the table.
        yield* load(options(dataset, "l3", "replace"), [])
        expect(yield* countRows(dataset, "users")).toBe(0)
      }))

    it.scoped("a replace with zero rows empties the root and every child table", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        yield* load(options(dataset, "l1", "replace"), [
          batch([users, [user("l1", 0, "a", "ann", 1)]], [usersTags, [tag(0, "a", 0, "x"), tag(0, "a", 1, "y")]])
        ])
        const result = yield* load(options(dataset, "l2", "replace"), [])
        expect(result.rowsPerTable).toEqual({})
        expect(yield* countRows(dataset, "users")).toBe(0)
        expect(yield* countRows(dataset, "users__tags")).toBe(0)
        expect(yield* select(dataset, "_rc_loads", ["load_id"], "load_id")).toEqual([{ load_id: "l1" }, { load_id: "l2" }])
      }))

    // A second session is needed to watch the swap: PGlite has one.

    if (target.name === "postgres server") it.scoped(
      "replace is atomic: another connection sees the old rows until the commit's COMMIT",
      () =>
        Effect.gen(function*() {
          const dataset = yield* freshDataset()
          const sql = yield* SqlClient.SqlClient
          const three = [user("l1", 0, "a", "ann", 1), user("l1", 1, "b", "bob", 2), user("l1", 2, "c", "cid", 3)]
          yield* load(options(dataset, "l1", "replace"), [batch([users, three])])

          // Another transaction holds a lock that the commit's INSERT INTO _rc_loads waits for,
          // which it reaches only after its DELETE and INSERT on users.
          const locked = yield* Deferred.make<void>()
          const release = yield* Deferred.make<void>()
          const holder = yield* sql.withTransaction(Effect.gen(function*() {
            yield* sql.unsafe(`LOCK TABLE ${ident(dataset)}."_rc_loads" IN SHARE MODE`)
            yield* Deferred.succeed(locked, undefined)
            yield* Deferred.await(release)
          })).pipe(Effect.fork)
          yield* Deferred.await(locked)
          const committing = yield* load(options(dataset, "l2", "replace"), [batch([users, [user("l2", 0, "d", "dan", 4)]])])
            .pipe(Effect.fork)

          const waiting = sql.unsafe<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = to_regclass($1)`,
            [`${ident(dataset)}."_rc_loads"`]
          ).pipe(Effect.map((rows) => (rows[0]?.n ?? 0) > 0))
          yield* waiting.pipe(
            Effect.repeat({ until: (blocked) => blocked, schedule: Schedule.spaced("20 millis") }),
            Effect.timeout("20 seconds")
          )
          // The commit has replaced the rows in its transaction; this session still sees the old ones.
          expect(yield* countRows(dataset, "users")).toBe(3)

          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(holder)
          yield* Fiber.join(committing)
          expect(yield* select(dataset, "users", ["_rc_id"], "_rc_id")).toEqual([{ _rc_id: "d" }])
        })
    )

    it.scoped("merge upserts, last duplicate wins, children are replaced for merged parents", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        // Compound key (id, region) hashed by the test into _rc_id.
        const key = (id: number, region: string) => `${id}|${region}`
        const run1 = [
          batch([users, [user("l1", 0, key(1, "eu"), "ann", 1), user("l1", 1, key(1, "us"), "ann-us", 2)]], [usersTags, [
            tag(0, key(1, "eu"), 0, "t1"),
            tag(0, key(1, "eu"), 1, "t2"),
            tag(1, key(1, "us"), 0, "u1")
          ]]),
          batch([users, [user("l1", 2, key(2, "eu"), "bob", 3)]], [usersTags, [tag(2, key(2, "eu"), 0, "b1")]])
        ]
        yield* load(options(dataset, "l1", "merge"), run1)
        expect(yield* countRows(dataset, "users")).toBe(3)
        expect(yield* countRows(dataset, "users__tags")).toBe(4)

        // Second load: 1|eu twice (last wins, with its own children), 3|eu new; 1|us and 2|eu untouched.
        const run2 = [
          batch([users, [user("l2", 0, key(1, "eu"), "ann-old", 10), user("l2", 1, key(3, "eu"), "cid", 30)]], [
            usersTags,
            [tag(0, key(1, "eu"), 0, "stale"), tag(1, key(3, "eu"), 0, "c1")]
          ]),
          batch([users, [user("l2", 2, key(1, "eu"), "ann-new", 11)]], [usersTags, [tag(2, key(1, "eu"), 0, "fresh")]])
        ]
        const result = yield* load(options(dataset, "l2", "merge"), run2)
        expect(result.rowsPerTable).toEqual({ users: 2, users__tags: 2 })
        const expectedUsers = [
          { _rc_id: "1|eu", _rc_load_id: "l2", name: "ann-new", age: "11" },
          { _rc_id: "1|us", _rc_load_id: "l1", name: "ann-us", age: "2" },
          { _rc_id: "2|eu", _rc_load_id: "l1", name: "bob", age: "3" },
          { _rc_id: "3|eu", _rc_load_id: "l2", name: "cid", age: "30" }
        ]
        const expectedTags = [
          { _rc_root_id: "1|eu", value: "fresh" },
          { _rc_root_id: "1|us", value: "u1" },
          { _rc_root_id: "2|eu", value: "b1" },
          { _rc_root_id: "3|eu", value: "c1" }
        ]
        const readUsers = select(dataset, "users", ["_rc_id", "_rc_load_id", "name", "age"], "_rc_id")
        const readTags = select(dataset, "users__tags", ["_rc_root_id", "value"], "_rc_root_id, value")
        expect(yield* readUsers).toEqual(expectedUsers)
        expect(yield* readTags).toEqual(expectedTags)

        // The same merge again converges to the same rows.
        yield* load(options(dataset, "l2", "merge"), run2)
        expect(yield* readUsers).toEqual(expectedUsers)
        expect(yield* readTags).toEqual(expectedTags)

        // A merged record without children loses its old children.
        yield* load(options(dataset, "l3", "merge"), [batch([users, [user("l3", 0, key(2, "eu"), "bob", 4)]])])
        expect(yield* readTags).toEqual(expectedTags.filter((t) => t._rc_root_id !== "2|eu"))
      }))

    it.scoped("indexes: a merge table's _rc_id with its first load, its children's _rc_root_id with the first merge into them", () =>
      Effect.gen(function*() {
        const rootIndex = ["CREATE UNIQUE INDEX ON USING btree (_rc_id)"]
        const childIndex = ["CREATE INDEX ON USING btree (_rc_root_id)"]
        const rows = [batch([users, [user("l1", 0, "a", "ann", 1)]], [usersTags, [tag(0, "a", 0, "t")]])]
        for (const strategy of ["delete-insert", "upsert"] as const) {
          const dataset = yield* freshDataset()
          yield* load(options(dataset, "l1", "merge", { merge: { strategy, mergeKey: [] } }), rows)
          expect(yield* indexesOf(dataset, "users")).toEqual(rootIndex)
          // Nothing has been merged into the child table yet: no index to build or maintain.
          expect(yield* indexesOf(dataset, "users__tags")).toEqual([])
          yield* load(options(dataset, "l2", "merge", { merge: { strategy, mergeKey: [] } }), rows)
          expect(yield* indexesOf(dataset, "users__tags")).toEqual(childIndex)
          expect(yield* countRows(dataset, "users__tags")).toBe(1)
        }
        // Append and replace never delete children by root: no child index. Tables left without
        // indexes (appended to, or a first commit that failed after its tables were made) get
        // them from the next merge.
        const dataset = yield* freshDataset()
        yield* load(options(dataset, "l0", "append"), rows)
        expect(yield* indexesOf(dataset, "users")).toEqual([])
        expect(yield* indexesOf(dataset, "users__tags")).toEqual([])
        yield* load(options(dataset, "l2", "merge"), rows)
        expect(yield* indexesOf(dataset, "users")).toEqual(rootIndex)
        expect(yield* indexesOf(dataset, "users__tags")).toEqual(childIndex)
        // The merge replaced the appended child of "a".
        expect(yield* countRows(dataset, "users__tags")).toBe(1)
      }))

    it.scoped("a new column in a later load is added with ALTER TABLE", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        yield* load(options(dataset, "l1", "append"), [batch([users, [user("l1", 0, "a", "ann", 1)]])])
        const wider = rootTable("users", [col("name", "text"), col("age", "bigint"), col("email", "text")])
        yield* load(options(dataset, "l2", "append"), [
          batch([users, [user("l2", 0, "b", "bob", 2)]]),
          batch([wider, [{ ...user("l2", 1, "c", "cid", 3), email: "c@x" }]])
        ])
        expect(yield* select(dataset, "users", ["_rc_id", "email"], "_rc_id")).toEqual([
          { _rc_id: "a", email: null },
          { _rc_id: "b", email: null },
          { _rc_id: "c", email: "c@x" }
        ])
      }))

    it.scoped("declared tables are created even without rows", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const result = yield* load(options(dataset, "l1", "merge", { declaredTables: [users, usersTags] }), [])
        expect(result.rowsPerTable).toEqual({ users: 0, users__tags: 0 })
        expect(yield* tableExists(dataset, "users")).toBe(true)
        expect(yield* tableExists(dataset, "users__tags")).toBe(true)
        const stored = yield* Effect.flatMap(Destination, (d) => d.storedTables(dataset))
        expect(stored.map((t) => [t.name, t.parent])).toEqual([["users", undefined], ["users__tags", "users"]])
        // Non-nullable declared columns are created NOT NULL.
        expect(stored[0]?.columns[0]).toEqual({ name: "_rc_id", type: "text", nullable: false })
      }))
  })
})
