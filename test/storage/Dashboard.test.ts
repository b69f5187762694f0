/**
 * The dashboard's data and HTTP app on every database target, without a browser: the schema
 * tree, table rows only for catalog tables, the SQL box read-only (writes, SELECT INTO and
 * several statements refused, nothing changed), and the Host/Origin guards.
 */
import { expect, it, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import * as Dashboard from "../../src/Dashboard.js"
import { refusal } from "../../src/internal/dashboard/server.js"
import { ident } from "../../src/internal/load/identifiers.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { rawRequest } from "../support/rawHttp.js"
import { batch, load, options, tag, user, users, usersTags } from "./usersFixture.js"

const resources: ReadonlyArray<Dashboard.DashboardResource> = [{
  name: "users",
  table: "users",
  parent: null,
  writeDisposition: "merge",
  primaryKey: ["id"],
  mergeKey: [],
  cursorPath: "updated",
  initialValue: 0
}]

const seed = (dataset: string) =>
  load(options(dataset, "l1", "merge"), [
    batch([users, [user("l1", 0, "a", "ann", 1), user("l1", 1, "b", "bob", 2)]], [usersTags, [tag(0, "a", 0, "x")]])
  ], { incremental: { initialValue: 0, lastValue: 2, uniqueHashes: [] } })

const count = (dataset: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<{ n: string }>(`SELECT count(*)::text AS n FROM ${ident(dataset)}.users`)).pipe(
    Effect.map((rows) => Number(rows[0]?.n))
  )

forEachDatabase((target) => {
  const Live = target.destination.pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true })((it) => {
    it.scoped("the schema tree nests child tables under their root, with keys and source keys", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("dash")
        yield* seed(dataset)
        const schema = yield* Dashboard.schema(dataset, resources)
        expect(schema.tables.map((t) => t.name)).toEqual(["users"])
        const root = schema.tables[0]
        expect(root?.resource?.primaryKey).toEqual(["id"])
        expect(root?.children.map((c) => c.name)).toEqual(["users__tags"])
        const state = yield* Dashboard.state(dataset, resources)
        expect(state).toMatchObject([{ resource: "users", stored: true, lastValue: 2, cursorPath: "updated" }])
      }))

    it.scoped("table rows: only tables the catalog lists; the SQL box refuses writes and changes nothing", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("dash")
        yield* seed(dataset)
        const rows = yield* Dashboard.tableRows(dataset, "users", 1)
        expect(rows.rows.length).toBe(1)
        expect(rows.truncated).toBe(true)
        const unknown = yield* Effect.flip(Dashboard.tableRows(dataset, "users\"; DROP TABLE users; --", 5))
        expect(unknown.reason).toBe("NotFound")
        for (
          const write of [
            "INSERT INTO users (_rc_id) VALUES ('z')",
            "UPDATE users SET name = 'x'",
            "DELETE FROM users",
            "DROP TABLE users",
            "SELECT * INTO stolen FROM users",
            "CREATE TABLE t (a int)",
            "SELECT 1; DELETE FROM users",
            "COMMIT; DELETE FROM users"
          ]
        ) {
          const error = yield* Effect.flip(Dashboard.query(dataset, write))
          expect(error.reason, write).toBe("BadRequest")
          expect(error.message, write).toMatch(/read-only|one statement/)
        }
        expect(yield* count(dataset)).toBe(2)
        const ok = yield* Dashboard.query(dataset, "SELECT name FROM users ORDER BY name")
        expect(ok.rows).toEqual([["ann"], ["bob"]])
        // PGlite (WASM, one thread) has no statement_timeout: the server's is what is tested.
        if (target.name !== "pglite") {
          const slow = yield* Effect.flip(Dashboard.query(dataset, "SELECT pg_sleep(5)", { timeoutMillis: 200 }))
          expect(slow.message).toMatch(/statement timeout/)
        }
      }))

    it.scoped("the HTTP app answers its own host only, and same-origin JSON POSTs only", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset("dash")
        yield* seed(dataset)
        const served = yield* Dashboard.serve({ dataset, resources })
        const url = new URL(served.url)
        const get = (host: string) => Effect.promise(() => rawRequest(url, { path: "/api/overview", headers: { host } }))
        expect((yield* get(url.host)).status).toBe(200)
        expect((yield* get(`localhost:${url.port}`)).status).toBe(200)
        expect((yield* get("attacker.example")).status).toBe(403)
        const post = (headers: Record<string, string>) =>
          Effect.promise(() => rawRequest(url, { method: "POST", path: "/api/query", headers: { host: url.host, ...headers }, body: JSON.stringify({ sql: "SELECT 1 AS one" }) }))
        expect((yield* post({ "content-type": "application/json", origin: `http://${url.host}` })).status).toBe(200)
        expect((yield* post({ "content-type": "application/json", origin: "http://attacker.example" })).status).toBe(403)
        expect((yield* post({ "content-type": "text/plain" })).status).toBe(403)
        const page = yield* Effect.promise(() => rawRequest(url, { path: "/", headers: { host: url.host } }))
        expect(page.body).toContain("<script src=\"/app.js\"")
      }))
  })
})

it("the guards: a Host of ours (IPv6 too), no Host refused, a cross-site POST refused", () => {
  const allowed = new Set(["localhost", "127.0.0.1", "[::1]"])
  expect(refusal({ method: "GET", headers: { host: "[::1]:8080" } }, allowed)).toBeUndefined()
  expect(refusal({ method: "GET", headers: {} }, allowed)).toBeDefined()
  expect(refusal({ method: "GET", headers: { host: "192.168.1.5:8080" } }, allowed)).toBeUndefined()
  expect(refusal({ method: "GET", headers: { host: "rebind.attacker.example:8080" } }, allowed)).toBeDefined()
  expect(refusal({ method: "POST", headers: { host: "127.0.0.1:1", "content-type": "application/json", "sec-fetch-site": "cross-site" } }, allowed)).toBeDefined()
})
