/**
 * Looking after a dataset on every database target: its load history, resetting and dropping
 * resources (under the lock a run loading them holds), and read-only SQL.
 */
import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Deferred, Effect, Fiber, Layer } from "effect"
import { Destination } from "../../src/internal/load/destination.js"
import { dropResources, planDrop } from "../../src/internal/load/dropResources.js"
import { latestLoads, loadHistory } from "../../src/internal/load/history.js"
import { ident } from "../../src/internal/load/identifiers.js"
import { readOnlyQuery, rowObjects } from "../../src/internal/load/readOnlyQuery.js"
import { readStates, resetStates } from "../../src/internal/load/storedStates.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { rootTable, col } from "../support/tables.js"
import { batch, load, options, tag, user, users, usersTags } from "./usersFixture.js"

const cursor = { incremental: { initialValue: 0, lastValue: 7, uniqueHashes: [] } }

const tableNames = (dataset: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
      [dataset]
    )).pipe(Effect.map((rows) => rows.map((r) => r.relname).sort()))

const systemRows = (dataset: string, table: "_rc_tables" | "_rc_columns") =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ table_name: string }>(`SELECT DISTINCT table_name FROM ${ident(dataset)}.${ident(table)}`)).pipe(
      Effect.map((rows) => rows.map((r) => r.table_name).sort())
    )

const events = (name: string) => rootTable(name, [col("name", "text")])

/** users (with tags, and a state), a resource routing to two tables, and one writing into users too. */
const seed = (dataset: string) =>
  Effect.gen(function*() {
    yield* load(options(dataset, "l1", "merge"), [
      batch([users, [user("l1", 0, "a", "ann", 1)]], [usersTags, [tag(0, "a", 0, "x")]])
    ], cursor)
    for (const t of ["events_a", "events_b"]) {
      yield* load(options(dataset, "l1", "append", { resource: "events", rootTable: t, primaryKey: [] }), [
        batch([events(t), [{ _rc_id: `${t}1`, _rc_load_id: "l1", _rc_seq: 0, name: t }]])
      ])
    }
    yield* load(options(dataset, "l2", "append", { resource: "other", rootTable: "others", primaryKey: [] }), [
      batch([events("others"), [{ _rc_id: "o1", _rc_load_id: "l2", _rc_seq: 0, name: "o" }]])
    ], cursor)
  })

forEachDatabase((target) => {
  const Live = target.destination.pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true })((it) => {
    it.scoped("the load history lists loads newest first, each with its rows per table", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("ops")
        const sql = yield* SqlClient.SqlClient
        expect(yield* loadHistory(sql, dataset)).toEqual({ loads: [], total: 0 })
        yield* seed(dataset)
        const history = yield* loadHistory(sql, dataset)
        expect(history.total).toBe(4)
        expect(history.loads.map((l) => l.resource)).toEqual(["other", "events", "events", "users"])
        expect(history.loads[3]).toMatchObject({ loadId: "l1", rowsPerTable: { users: 1, users__tags: 1 }, rows: 2, status: "committed" })
        expect(history.loads[3]?.startedAt?.toISOString()).toBe("2024-01-01T00:00:00.000Z")
        const two = yield* loadHistory(sql, dataset, { limit: 2, resources: ["events", "users"] })
        expect(two.total).toBe(3)
        expect(two.loads.map((l) => l.resource)).toEqual(["events", "events"])
        const latest = yield* latestLoads(sql, dataset)
        expect([...latest.keys()].sort()).toEqual(["events", "other", "users"])
      }))

    it.scoped("reset waits for a run loading the resource, then drops only that resource's state", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("ops")
        const sql = yield* SqlClient.SqlClient
        yield* seed(dataset)
        const destination = yield* Destination
        const held = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const run = yield* Effect.scoped(
          Effect.zipRight(
            destination.lockResource(dataset, "users"),
            Effect.zipRight(Deferred.succeed(held, undefined), Deferred.await(release))
          )
        ).pipe(Effect.fork)
        yield* Deferred.await(held)
        const reset = yield* resetStates(dataset, ["users", "events"]).pipe(Effect.fork)
        yield* Effect.sleep("700 millis")
        expect(reset.unsafePoll()).toBeNull()
        expect((yield* readStates(sql, dataset)).map((s) => s.resource)).toEqual(["other", "users"])
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(run)
        expect(yield* Fiber.join(reset)).toEqual(["users"])
        const left = yield* readStates(sql, dataset)
        expect(left.map((s) => [s.resource, s.state, s.loadId])).toEqual([["other", cursor, "l2"]])
      }))

    it.scoped("drop takes a resource's root tables (those its loads wrote too), their children, state and records", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("ops")
        yield* seed(dataset)
        // `copy` wrote into users too: dropping users takes its rows as well, and says so.
        yield* load(options(dataset, "l3", "append", { resource: "copy", primaryKey: [] }), [
          batch([users, [user("l3", 0, "z", "zed", 9)]])
        ])
        const plan = yield* planDrop(dataset, [{ resource: "users", rootTables: ["users"] }, { resource: "events", rootTables: [] }])
        expect(plan).toEqual([
          { resource: "users", tables: ["users", "users__tags"], hasState: true, sharedWith: ["copy"] },
          { resource: "events", tables: ["events_a", "events_b"], hasState: false, sharedWith: [] }
        ])
        const dropped = yield* dropResources(dataset, [{ resource: "users", rootTables: ["users"] }, { resource: "events", rootTables: [] }])
        expect(dropped).toEqual(plan)
        expect((yield* tableNames(dataset)).filter((t) => !t.startsWith("_rc_"))).toEqual(["others"])
        expect(yield* systemRows(dataset, "_rc_tables")).toEqual(["others"])
        expect((yield* systemRows(dataset, "_rc_columns")).filter((t) => t !== "others")).toEqual([])
        const sql = yield* SqlClient.SqlClient
        expect((yield* readStates(sql, dataset)).map((s) => s.resource)).toEqual(["other"])
        // The history stays; nothing is left to drop.
        expect((yield* loadHistory(sql, dataset)).total).toBe(5)
        expect(yield* planDrop(dataset, [{ resource: "users", rootTables: ["users"] }])).toEqual([
          { resource: "users", tables: [], hasState: false, sharedWith: [] }
        ])
        // The next load starts over.
        yield* load(options(dataset, "l4", "merge"), [batch([users, [user("l4", 0, "b", "bob", 2)]])])
        expect((yield* tableNames(dataset)).filter((t) => !t.startsWith("_rc_"))).toEqual(["others", "users"])
      }))

    it.scoped("a query runs read-only in the dataset: unqualified names, one statement, values as Postgres prints them", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("ops")
        yield* seed(dataset)
        const result = yield* readOnlyQuery(
          dataset,
          "SELECT name, age, age > 0 AS adult, 1.5::float8 AS f, '{\"k\":[1]}'::jsonb AS j, NULL::text AS n, 1 AS n FROM users"
        )
        expect(result.command).toBe("SELECT")
        expect(result.columns.map((c) => c.name)).toEqual(["name", "age", "adult", "f", "j", "n", "n"])
        expect(result.rows).toEqual([["ann", "1", "t", "1.5", "{\"k\": [1]}", null, "1"]])
        expect(rowObjects(result)).toEqual([{ name: "ann", age: "1", adult: true, f: 1.5, j: { k: [1] }, n: null, n_2: 1 }])

        const write = yield* readOnlyQuery(dataset, "DELETE FROM users").pipe(Effect.flip)
        expect(write.reason).toBe("Statement")
        expect(write.message).toMatch(/read-only transaction.*25006/)
        const several = yield* readOnlyQuery(dataset, "SELECT 1; DROP TABLE users").pipe(Effect.flip)
        expect(several.reason).toBe("MultipleStatements")
        const escape = yield* readOnlyQuery(dataset, "COMMIT; DELETE FROM users").pipe(Effect.flip)
        expect(escape.reason).toBe("MultipleStatements")
        const missing = yield* readOnlyQuery(dataset, "SELECT * FROM nope").pipe(Effect.flip)
        expect(missing.message).toMatch(/relation "nope" does not exist.*42P01/)
        // Nothing changed, and the session's search_path was the query's only.
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(dataset)}.users`)
        expect(rows[0]?.n).toBe(1)
        const explain = yield* readOnlyQuery(dataset, "EXPLAIN SELECT * FROM users__tags")
        expect(explain.columns.map((c) => c.name)).toEqual(["QUERY PLAN"])
      }))
  })
})
