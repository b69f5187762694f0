/**
 * Staging and atomicity, on every database target: rows wait and stream into staging tables of
 * the load, become visible only with the commit (with `_rc_state`), and a load that fails or is
 * abandoned leaves the final tables as they were and no staging behind.
 */
import { expect, layer } from "@effect/vitest"
import { Effect, Exit, Layer, Scope } from "effect"
import { Destination } from "../../src/internal/load/destination.js"
import { stagingTableName } from "../../src/internal/load/identifiers.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { col, rootTable } from "../support/tables.js"
import { batch, countRows, load, options, select, stagingLeft, tableExists, tag, user, users, usersTags } from "./usersFixture.js"

forEachDatabase((target) => {
  const Live = target.destination.pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true })((it) => {
    it.scoped("stores _rc_state with the commit and reads it back", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const destination = yield* Destination
        expect(yield* destination.loadState(dataset, "users")).toBeUndefined()
        const state = { cursor: "2024-05-01T00:00:00Z", pages: [1, 2, 3], nested: { list: [{ a: 1 }] } }
        yield* load(options(dataset, "l1", "append"), [batch([users, [user("l1", 0, "a", "ann", 1)]])], state)
        expect(yield* destination.loadState(dataset, "users")).toEqual(state)
        expect(yield* destination.loadState(dataset, "other")).toBeUndefined()
        yield* load(options(dataset, "l2", "append"), [], [42])
        expect(yield* destination.loadState(dataset, "users")).toEqual([42])
        // A commit without state keeps the stored one.
        yield* load(options(dataset, "l3", "append"), [])
        expect(yield* destination.loadState(dataset, "users")).toEqual([42])
      }))

    it.scoped("closing the scope without commit leaves final tables unchanged and no staging tables", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        yield* load(options(dataset, "l1", "replace"), [batch([users, [user("l1", 0, "a", "ann", 1)]])])
        yield* Effect.scoped(Effect.gen(function*() {
          const destination = yield* Destination
          const resourceLoad = yield* destination.startLoad(options(dataset, "l2", "replace"))
          yield* resourceLoad.write(batch([users, [user("l2", 0, "b", "bob", 2)]], [usersTags, [tag(0, "b", 0, "x")]]))
          expect((yield* stagingLeft(dataset)).length).toBe(2)
        }))
        expect(yield* select(dataset, "users", ["_rc_id"], "_rc_id")).toEqual([{ _rc_id: "a" }])
        expect(yield* tableExists(dataset, "users__tags")).toBe(false)
        expect(yield* stagingLeft(dataset)).toEqual([])
      }))

    it.scoped("a load failing mid-way (write or commit) leaves final tables unchanged", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        yield* load(options(dataset, "l1", "replace"), [batch([users, [user("l1", 0, "a", "ann", 1)]])])

        // Write fails: "x" is no bigint.
        const badWrite = yield* load(options(dataset, "l2", "replace"), [
          batch([users, [user("l2", 0, "b", "bob", 2)]]),
          batch([users, [{ ...user("l2", 1, "c", "cid", 3), age: "x" }]])
        ]).pipe(Effect.flip)
        expect(badWrite._tag).toBe("DestinationError")
        expect(badWrite.dataset).toBe(dataset)
        expect(badWrite.table).toBe("users")
        expect(badWrite.message).toContain("bigint")

        // Commit fails after the DELETE of replace: staging `age` is text, the final column bigint.
        const textAge = rootTable("users", [col("name", "text"), col("age", "text")])
        const badCommit = yield* load(options(dataset, "l3", "replace"), [
          batch([textAge, [{ ...user("l3", 0, "d", "dan", 4), age: "old" }]])
        ], { cursor: "must not be stored" }).pipe(Effect.flip)
        expect(badCommit._tag).toBe("DestinationError")
        expect(badCommit.message).toContain("age")

        expect(yield* select(dataset, "users", ["_rc_id"], "_rc_id")).toEqual([{ _rc_id: "a" }])
        expect(yield* select(dataset, "_rc_loads", ["load_id"], "load_id")).toEqual([{ load_id: "l1" }])
        expect(yield* Effect.flatMap(Destination, (d) => d.loadState(dataset, "users"))).toBeUndefined()
        expect(yield* stagingLeft(dataset)).toEqual([])
      }))

    it.scoped("startLoad cleans staging leftovers of a killed run of the same resource only", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const destination = yield* Destination
        // A "killed" run: its scope is never closed, so nothing cleans up after it.
        const killed = yield* Scope.make()
        const stale = yield* destination.startLoad(options(dataset, "dead", "append")).pipe(Scope.extend(killed))
        yield* stale.write(batch([users, [user("dead", 0, "z", "zed", 9)]]))
        const other = yield* destination.startLoad(options(dataset, "dead", "append", { resource: "others" })).pipe(
          Scope.extend(killed)
        )
        yield* other.write(batch([users, [user("dead", 0, "o", "other", 9)]]))
        expect((yield* stagingLeft(dataset)).length).toBe(2)

        yield* load(options(dataset, "l2", "append"), [batch([users, [user("l2", 0, "a", "ann", 1)]])])
        expect(yield* select(dataset, "users", ["_rc_id"], "_rc_id")).toEqual([{ _rc_id: "a" }])
        // Only the other resource's staging table is left.
        expect(yield* stagingLeft(dataset)).toEqual([stagingTableName("users", "dead", "others")])
        yield* Scope.close(killed, Exit.void)
        expect(yield* stagingLeft(dataset)).toEqual([])
      }))

    it.scoped("concurrent resources of one run writing the same table do not collide", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const one = (resource: string, n: number) =>
          load(options(dataset, "run-1", "append", { resource }), [
            batch([users, Array.from({ length: n }, (_, i) => user("run-1", i, `${resource}-${i}`, resource, i))])
          ])
        yield* Effect.all([one("a", 300), one("b", 500), one("c", 700)], { concurrency: "unbounded" })
        expect(yield* countRows(dataset, "users")).toBe(1500)
        expect(yield* countRows(dataset, "_rc_loads")).toBe(3)
        expect(yield* stagingLeft(dataset)).toEqual([])
      }))

    it.scoped("loads of one resource into several root tables keep their staging apart (stagingKey)", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const destination = yield* Destination
        const pets = rootTable("pets", [col("name", "text"), col("age", "bigint")])
        const a = yield* destination.startLoad({ ...options(dataset, "l1", "append"), stagingKey: "users/users" })
        yield* a.write(batch([users, [user("l1", 0, "a", "ann", 1)]]))
        // Starting the second table's load must not drop the first one's staging.
        const b = yield* destination.startLoad({ ...options(dataset, "l1", "append"), rootTable: "pets", stagingKey: "users/pets" })
        yield* b.write(batch([pets, [user("l1", 0, "p", "rex", 3)]]))
        yield* a.commit({ startedAt: new Date("2024-01-01T00:00:00Z"), state: undefined })
        // Nor does the first one's commit unregister or drop the second's.
        expect(yield* stagingLeft(dataset)).toHaveLength(1)
        yield* b.commit({ startedAt: new Date("2024-01-01T00:00:00Z"), state: undefined })
        expect(yield* select(dataset, "users", ["_rc_id"], "_rc_id")).toEqual([{ _rc_id: "a" }])
        expect(yield* select(dataset, "pets", ["_rc_id", "name"], "_rc_id")).toEqual([{ _rc_id: "p", name: "rex" }])
        expect(yield* stagingLeft(dataset)).toEqual([])
      }))

    it.scoped("small batches wait for one write to staging; rows of a wider column list are written on their own", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        // 40 batches of 1 000 rows of ~120 bytes: several COPYs of ~1 MiB on a server, INSERTs
        // of 1 000 rows on the embedded database. The email column appears half-way.
        const wider = rootTable("users", [col("name", "text"), col("age", "bigint"), col("email", "text")])
        const long = "x".repeat(80)
        const batches = Array.from({ length: 40 }, (_, b) => {
          const rows = Array.from({ length: 1000 }, (_, i) => {
            const n = b * 1000 + i
            const row = user("l1", n, `id-${String(n).padStart(6, "0")}`, `${long}-${n}`, n)
            return b < 20 ? row : { ...row, email: `u${n}@x` }
          })
          return batch([b < 20 ? users : wider, rows], [usersTags, [tag(b, `id-${String(b * 1000).padStart(6, "0")}`, 0, `t${b}`)]])
        })
        const result = yield* load(options(dataset, "l1", "append"), batches)
        expect(result.rowsPerTable).toEqual({ users: 40_000, users__tags: 40 })
        expect(yield* countRows(dataset, "users")).toBe(40_000)
        const sample = yield* select(dataset, "users", ["_rc_id", "name", "age", "email"], "_rc_id")
        expect(sample[19_999]).toEqual({ _rc_id: "id-019999", name: `${long}-19999`, age: "19999", email: null })
        expect(sample[20_000]).toEqual({ _rc_id: "id-020000", name: `${long}-20000`, age: "20000", email: "u20000@x" })
        expect(sample[39_999]).toEqual({ _rc_id: "id-039999", name: `${long}-39999`, age: "39999", email: "u39999@x" })
        expect((yield* select(dataset, "users__tags", ["value"], "_rc_id")).map((r) => r.value)).toEqual(
          Array.from({ length: 40 }, (_, b) => `t${b}`)
        )
        expect(yield* stagingLeft(dataset)).toEqual([])
      }))

    it.scoped("a write to staging that fails in the background fails the commit, and nothing is visible", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        yield* load(options(dataset, "l1", "append"), [batch([users, [user("l1", 0, "a", "ann", 1)]])])
        // Enough rows for several writes to staging (COPYs of ~1 MiB on a server), the first
        // of which fails: 1.5 is no bigint.
        const long = "y".repeat(100)
        const batches = Array.from({ length: 30 }, (_, b) =>
          batch([users, Array.from({ length: 1000 }, (_, i) => {
            const n = b * 1000 + i
            return { ...user("l2", n, `id-${n}`, `${long}-${n}`, n), age: n === 5 ? 1.5 : n }
          })]))
        const failed = yield* Effect.flip(load(options(dataset, "l2", "append"), batches))
        expect(failed._tag).toBe("DestinationError")
        expect(failed.message).toContain("users")
        expect(failed.message).not.toContain(long)
        expect(yield* select(dataset, "users", ["_rc_id"], "_rc_id")).toEqual([{ _rc_id: "a" }])
        expect(yield* stagingLeft(dataset)).toEqual([])
      }))

    it.scoped("a 20 000-row batch is written in one go", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const rows = Array.from({ length: 20_000 }, (_, i) => user("l1", i, `id-${i}`, `name-${i}`, i))
        const result = yield* load(options(dataset, "l1", "merge"), [batch([users, rows])])
        expect(result.rowsPerTable).toEqual({ users: 20_000 })
        expect(yield* countRows(dataset, "users")).toBe(20_000)
      }))

    it.scoped("errors name the dataset and table and carry no connection secrets", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const err = yield* load(options(dataset, "l1", "merge"), [
          batch([rootTable("users", [col("age", "bigint")]), [{ ...user("l1", 0, "a", "ann", 1), age: 1.5 }]])
        ]).pipe(Effect.flip)
        expect(err.message).toContain(dataset)
        expect(err.message).toContain("users")
        expect(err.message).not.toMatch(/postgres:\/\//)
      }))
  })
})
