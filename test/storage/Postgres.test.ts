import { assert, describe, expect, it, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Deferred, Effect, Exit, Fiber, Layer, Schedule, Scope } from "effect"
import type { Batch, StartLoadOptions } from "../../src/internal/load/destination.js"
import { Destination } from "../../src/internal/load/destination.js"
import { dataTypeOf, sqlType } from "../../src/internal/load/columnTypes.js"
import { ident, stagingSchemaName, stagingTableName } from "../../src/internal/load/identifiers.js"
import type { Row, TableSchema } from "../../src/internal/normalize/tableSchema.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { childTable, col, rootTable } from "../support/tables.js"

// --- helpers ---------------------------------------------------------------


const batch = (...tables: ReadonlyArray<readonly [TableSchema, ReadonlyArray<Row>]>): Batch => ({
  tables: tables.map(([t]) => t),
  rows: new Map(tables.map(([t, rows]) => [t.name, rows]))
})

const users = rootTable("users", [col("name", "text"), col("age", "bigint")])
const usersTags = childTable("users__tags", "users", [col("value", "text")])

const user = (loadId: string, seq: number, id: string, name: string, age: number): Row => ({
  _rc_id: id,
  _rc_load_id: loadId,
  _rc_seq: seq,
  name,
  age
})

const tag = (seq: number, rootId: string, idx: number, value: string): Row => ({
  _rc_id: `${rootId}/${idx}/${seq}`,
  _rc_parent_id: rootId,
  _rc_list_idx: idx,
  _rc_root_id: rootId,
  _rc_seq: seq,
  value
})

const options = (
  dataset: string,
  loadId: string,
  disposition: StartLoadOptions["disposition"],
  extra: Partial<StartLoadOptions> = {}
): StartLoadOptions => ({
  dataset,
  resource: "users",
  loadId,
  rootTable: "users",
  disposition,
  primaryKey: disposition === "merge" ? ["id"] : [],
  ...extra
})

/** One whole resource load: start, write every batch, commit. */
const load = (opts: StartLoadOptions, batches: ReadonlyArray<Batch>, state?: unknown) =>
  Effect.scoped(Effect.gen(function*() {
    const destination = yield* Destination
    const resourceLoad = yield* destination.startLoad(opts)
    for (const b of batches) yield* resourceLoad.write(b)
    return yield* resourceLoad.commit({ startedAt: new Date("2024-01-01T00:00:00Z"), state })
  }))

/** Rows of a final table as text values (bigint/numeric arrive as strings anyway). */
const select = (dataset: string, table: string, columns: ReadonlyArray<string>, orderBy: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<Record<string, string | null>>(
      `SELECT ${columns.map((c) => `${ident(c)}::text AS ${ident(c)}`).join(", ")} FROM ${
        ident(dataset)
      }.${ident(table)} ORDER BY ${orderBy}`
    ))

const countRows = (dataset: string, table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(dataset)}.${ident(table)}`)
  ).pipe(Effect.map((rows) => rows[0]?.n ?? -1))

/** Staging tables left in `<dataset>_staging` (the registry itself excluded). */
const stagingLeft = (dataset: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname <> '_rc_staging_tables'`,
      [stagingSchemaName(dataset)]
    )).pipe(Effect.map((rows) => rows.map((r) => r.relname)))

const tableExists = (dataset: string, table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [
      `${ident(dataset)}.${ident(table)}`
    ])).pipe(Effect.map((rows) => rows[0]?.present === true))

/** Index definitions on a final table (`CREATE ... INDEX name ON ... (column)`), names left out. */
const indexesOf = (dataset: string, table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ def: string }>(
      `SELECT regexp_replace(pg_get_indexdef(i.indexrelid), 'INDEX \\S+ ON \\S+', 'INDEX ON') AS def
       FROM pg_index i WHERE i.indrelid = to_regclass($1) ORDER BY 1`,
      [`${ident(dataset)}.${ident(table)}`]
    )).pipe(Effect.map((rows) => rows.map((r) => r.def)))

// --- pure helpers ------------------------------------------------------------

describe("Postgres names", () => {
  it("quotes identifiers", () => {
    expect(ident("a\"b")).toBe("\"a\"\"b\"")
  })
  it("keeps staging names within 63 bytes and distinct per resource", () => {
    const long = "x".repeat(40) + "ü".repeat(20)
    const a = stagingTableName(long, "load-1", "r1")
    const b = stagingTableName(long, "load-1", "r2")
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(63)
    expect(a).not.toBe(b)
    expect(stagingTableName(long + "a", "l", "r")).not.toBe(stagingTableName(long + "b", "l", "r"))
    expect(stagingTableName("users", "l", "r")).toMatch(/^users__[0-9a-f]{8}$/)
  })
  it("maps SQL types back", () => {
    for (const t of ["text", "bigint", "double", "boolean", "timestamptz", "numeric", "jsonb"] as const) {
      expect(dataTypeOf(sqlType(t) === "timestamptz" ? "timestamp with time zone" : sqlType(t)))
        .toBe(t)
    }
    expect(dataTypeOf("numeric(10,2)")).toBe("numeric")
  })
})

// --- the storage suite, once per database --------------------------------------

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

    it.scoped("storedTables round-trips every data type and the parent from the naming", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const events = rootTable("events", [
          col("s", "text"),
          col("i", "bigint"),
          col("d", "double"),
          col("b", "boolean"),
          col("ts", "timestamptz"),
          col("n", "numeric"),
          col("j", "jsonb")
        ])
        const items = childTable("events__items", "events", [col("value", "bigint")])
        const deep = childTable("events__items__parts", "events__items", [col("value", "text")])
        const row: Row = {
          _rc_id: "e1",
          _rc_load_id: "l1",
          _rc_seq: 0,
          s: "it's \"quoted\"",
          i: 9007199254740991,
          d: 1.5,
          b: true,
          ts: new Date("2024-02-03T04:05:06.789Z"),
          n: "12345678901234567890.123456789",
          j: { list: [1, 2, { x: null }], ok: false }
        }
        yield* load(options(dataset, "l1", "append", { resource: "events", rootTable: "events" }), [
          batch([events, [row]], [items, [tag(0, "e1", 0, "7")]], [deep, [tag(0, "e1", 0, "p")]])
        ])
        const stored = yield* Effect.flatMap(Destination, (d) => d.storedTables(dataset))
        const withoutSeq = (t: TableSchema) => ({ ...t, columns: t.columns.filter((c) => c.name !== "_rc_seq") })
        expect(stored).toEqual([withoutSeq(events), withoutSeq(items), withoutSeq(deep)])
        const [values] = yield* select(dataset, "events", ["s", "i", "d", "b", "n", "j"], "1")
        assert.deepStrictEqual(values, {
          s: "it's \"quoted\"",
          i: "9007199254740991",
          d: "1.5",
          b: "true",
          n: "12345678901234567890.123456789",
          j: "{\"ok\": false, \"list\": [1, 2, {\"x\": null}]}"
        })
        // Compared in SQL: the text form of timestamptz depends on the session time zone.
        const sameInstant = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql.unsafe<{ same: boolean }>(
            `SELECT ts = '2024-02-03T04:05:06.789Z'::timestamptz AS same FROM ${ident(dataset)}.events`
          ))
        expect(sameInstant).toEqual([{ same: true }])
      }))

    // --- tables that do not exist yet: the staging table is renamed into place ---------

    /** Columns of a table as stored: name, whether NOT NULL, and whether the table is LOGGED. */
    const storedShape = (dataset: string, table: string) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.unsafe<{ name: string; required: boolean; persistence: string }>(
          `SELECT a.attname AS name, a.attnotnull AS required, c.relpersistence AS persistence
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
          [`${ident(dataset)}.${ident(table)}`]
        ))

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

    it.scoped("date, time and bytea columns store what the normalizer gives them", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        const typed = rootTable("typed", [col("day", "date"), col("at", "time"), col("blob", "binary")])
        const rows = [
          { _rc_id: "a", _rc_load_id: "l1", _rc_seq: 0, day: "2024-02-29", at: "23:30:00.25", blob: "\\x00ff0a5c" },
          { _rc_id: "b", _rc_load_id: "l1", _rc_seq: 1, day: null, at: "13:45", blob: "\\x" }
        ]
        yield* load({ ...options(dataset, "l1", "append"), resource: "typed", rootTable: "typed" }, [batch([typed, rows])])
        expect(yield* select(dataset, "typed", ["_rc_id", "day", "at", "blob"], "_rc_id")).toEqual([
          { _rc_id: "a", day: "2024-02-29", at: "23:30:00.25", blob: "\\x00ff0a5c" },
          { _rc_id: "b", day: null, at: "13:45:00", blob: "\\x" }
        ])
        const stored = yield* Effect.flatMap(Destination, (d) => d.storedTables(dataset))
        expect(stored.find((t) => t.name === "typed")?.columns.slice(2).map((c) => [c.name, c.type])).toEqual([
          ["day", "date"],
          ["at", "time"],
          ["blob", "binary"]
        ])
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
