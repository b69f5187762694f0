import { describe, expect, it, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Deferred, Effect, Fiber } from "effect"
import { execFile } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as EmbeddedDatabase from "../../src/internal/load/embedded.js"

const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "rc-embedded-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

describe("EmbeddedDatabase", () => {
  it.live("a persisted dataDir survives a restart of the layer", () =>
    Effect.scoped(Effect.gen(function*() {
      // A nested, not yet existing folder: the layer creates it.
      const dataDir = join(yield* tempDir, "nested", "db")
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE kept (id int PRIMARY KEY, name text)`
        yield* sql`INSERT INTO kept ${sql.insert([{ id: 1, name: "one" }, { id: 2, name: "two" }])}`
      }).pipe(Effect.provide(EmbeddedDatabase.layer({ dataDir })))

      const rows = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        return yield* sql<{ id: number; name: string }>`SELECT id, name FROM kept ORDER BY id`
      }).pipe(Effect.provide(EmbeddedDatabase.layer({ dataDir })))
      expect(rows).toEqual([{ id: 1, name: "one" }, { id: 2, name: "two" }])
    })), 180_000) // initdb on disk is slow on a loaded 2-core machine

  layer(EmbeddedDatabase.layer({ inProcess: true }), { excludeTestServices: true })("one shared instance", (it) => {
    it.effect("concurrent transactions serialize over the single connection", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE log (n serial PRIMARY KEY, who text)`
        const note = (who: string) => sql`INSERT INTO log (who) VALUES (${who})`
        const transaction = (who: string) =>
          sql.withTransaction(Effect.gen(function*() {
            yield* note(`${who}:begin`)
            yield* Effect.sleep("50 millis")
            yield* note(`${who}:end`)
          }))
        yield* Effect.all([transaction("a"), transaction("b"), transaction("c")], { concurrency: "unbounded" })
        const log = (yield* sql<{ who: string }>`SELECT who FROM log ORDER BY n`).map((r) => r.who)
        expect(log).toHaveLength(6)
        // Each transaction's two rows are adjacent: no other fiber's statement ran in between.
        for (let i = 0; i < log.length; i += 2) {
          expect(log[i]?.replace(":begin", "")).toBe(log[i + 1]?.replace(":end", ""))
        }
      }))

    it.effect("a statement from another fiber never lands inside an open transaction", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE outside_tx (who text)`
        const opened = yield* Deferred.make<void>()
        // Forked from outside the transaction, so it does not inherit the transaction's connection.
        const transaction = yield* Effect.fork(sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO outside_tx VALUES ('tx')`
          yield* Deferred.succeed(opened, undefined)
          yield* Effect.sleep("100 millis")
          return yield* Effect.fail("roll back")
        })))
        yield* Deferred.await(opened)
        // Issued while the transaction is open: it must wait, then survive the rollback.
        yield* sql`INSERT INTO outside_tx VALUES ('outside')`
        expect(yield* Fiber.join(transaction).pipe(Effect.flip)).toBe("roll back")
        const rows = yield* sql<{ who: string }>`SELECT who FROM outside_tx`
        expect(rows).toEqual([{ who: "outside" }])
      }))
  })

  it.live("by default PGlite runs in a child process that exits with the layer's scope", () =>
    Effect.gen(function*() {
      const backendPid = Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`)
      // The child (it names itself in ps) is our only such child while the layer is open.
      const children = () =>
        Effect.async<ReadonlyArray<string>>((resume) => {
          execFile("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], (_e, out) =>
            resume(Effect.succeed(out.split("\n").filter((l) => l.includes("rest-connector embedded database")))))
        })
      const during = yield* Effect.flatMap(backendPid, () => children()).pipe(Effect.provide(EmbeddedDatabase.layer({})))
      expect(during).toHaveLength(1)
      expect(yield* children()).toEqual([])
    }))

  it.live("a data folder that cannot be opened is a clear error", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = join(yield* tempDir, "not-a-folder")
      yield* Effect.promise(() => writeFile(file, "x"))
      const error = yield* Effect.flip(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT 1`).pipe(Effect.provide(EmbeddedDatabase.layer({ dataDir: file })))
      )
      expect(error.message).toContain("Embedded database: failed to open")
      expect(error.message).toContain(file)
    })))

  it.live("databaseLayer picks the embedded database without a URL and a server with one", () =>
    Effect.gen(function*() {
      const version = Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ v: string }>`SELECT version() AS v`)
      const embedded = yield* version.pipe(Effect.provide(EmbeddedDatabase.databaseLayer({})))
      expect(embedded[0]?.v).toContain("PGlite")
      const url = process.env["TEST_DATABASE_URL"]
      if (url !== undefined && url !== "") {
        const server = yield* version.pipe(Effect.provide(EmbeddedDatabase.databaseLayer({ databaseUrl: url })))
        expect(server[0]?.v).not.toContain("PGlite")
      }
    }))
})
