/**
 * COPY into the embedded database (blobCopy.ts, copyChannel.ts, embeddedChild.ts): PGlite's own
 * `COPY ... FROM '/dev/blob'` with our encoder's bytes, in this process and through the child
 * process's pipe. Rows land exactly as the server's COPY and the json_to_recordset INSERTs
 * store them; failures are typed and change nothing; a COPY never lands inside another fiber's
 * transaction; an interrupted COPY or a killed database process leaves the data directory sound.
 */
import { assert, describe, expect, it, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Fiber, Layer, Redacted } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import * as Embedded from "../../src/internal/load/embedded.js"
import { ident } from "../../src/internal/load/identifiers.js"
import { PgCopy } from "../../src/internal/load/pgCopy.js"
import * as PgPool from "../../src/internal/load/pgPool.js"
import { columns, countDiff, createTable, expectedMixed, jsonInsert, rowAt } from "../support/copyRows.js"
import { freshDataset } from "../support/database.js"

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

/** Long values: past the encoder's chunk size, full of what COPY escapes. */
const longRows = [
  { id: 1_000_001, txt: "a\tb\\c\nd é 🎉 ".repeat(100_000), doc: { long: "x\\y\"z\n".repeat(50_000) } },
  { id: 1_000_002, txt: "\\.".repeat(300_000), doc: ["\\N", "\t".repeat(10_000)] }
]


/** Every column as text the two databases print alike (timestamps as epoch milliseconds). */
const asText = (schema: string, table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<Record<string, string | null>>(
      `SELECT id::text, big::text, txt, dbl::text, flag::text, (extract(epoch FROM ts) * 1000)::bigint::text AS ts,
       doc::text, num::text, mixed, opt FROM ${ident(schema)}.${ident(table)} AS src ORDER BY src.id`
    ).withoutTransform)

const count = (schema: string, table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(schema)}.${ident(table)}`)).pipe(
      Effect.map((r) => r[0]?.n ?? -1)
    )

/** The rows as a Postgres server's COPY stores them (a schema of their own, dropped after). */
const serverText = (rows: ReadonlyArray<Readonly<Record<string, unknown>>>, url: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const schema = yield* freshDataset("ecopy")
    yield* sql.unsafe(`CREATE SCHEMA ${ident(schema)}`)
    yield* sql.unsafe(createTable(schema, "t"))
    yield* Effect.flatMap(PgCopy, (w) => w.copy(schema, "t", columns, rows))
    return yield* asText(schema, "t")
  }).pipe(Effect.scoped, Effect.provide(PgPool.layerPool({ url: Redacted.make(url), maxConnections: 2 })))

/** The client, the COPY writer and a fresh schema (dropped after the test). */
const setUp = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const writer = yield* PgCopy
  const schema = yield* freshDataset("ecopy")
  yield* sql.unsafe(`CREATE SCHEMA ${ident(schema)}`)
  return { schema, sql, writer }
})

const modes = [{ name: "in this process", inProcess: true }, { name: "in its child process", inProcess: false }] as const

for (const mode of modes) {
  describe(`COPY into the embedded database ${mode.name}`, () => {
    layer(Embedded.layer({ inProcess: mode.inProcess }), { excludeTestServices: true })((it) => {
      it.scoped("tricky values land exactly, as json_to_recordset and a server's COPY store them", () =>
        Effect.gen(function*() {
          const { schema, sql, writer } = yield* setUp
          for (const t of ["by_copy", "by_json"]) yield* sql.unsafe(createTable(schema, t))
          const tricky = Array.from({ length: 3000 }, (_, i) => rowAt(i))
          const rows = [...tricky, ...longRows]
          yield* writer.copy(schema, "by_copy", columns, rows)
          yield* sql.unsafe(jsonInsert(schema, "by_json"), [JSON.stringify(rows)])
          assert.strictEqual(yield* countDiff(sql, schema, "by_copy", "by_json"), 0)
          assert.strictEqual(yield* countDiff(sql, schema, "by_json", "by_copy"), 0)

          const back = yield* asText(schema, "by_copy")
          assert.strictEqual(back.length, rows.length)
          for (let i = 0; i < tricky.length; i++) {
            const want = tricky[i]
            const got = back[i]
            if (
              got.id !== String(i) || got.txt !== want.txt || got.flag !== String(want.flag) ||
              got.ts !== String(want.ts.getTime()) || got.num !== want.num || got.mixed !== expectedMixed(want.mixed) ||
              got.opt !== want.opt || Number(got.dbl) !== want.dbl
            ) {
              assert.fail(`row ${i} differs: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`)
            }
            expect(JSON.parse(got.doc ?? "null")).toEqual(want.doc)
          }
          expect(back.slice(-2).map((r) => r.txt)).toEqual(longRows.map((r) => r.txt))
          expect(back.slice(-2).map((r) => JSON.parse(r.doc ?? "null"))).toEqual(longRows.map((r) => r.doc))
          if (serverUrl !== undefined) expect(back).toEqual(yield* serverText(rows, serverUrl))
        }), { timeout: 120_000 })

      it.scoped("a failing COPY is a typed error naming table and SQLSTATE, and changes nothing", () =>
        Effect.gen(function*() {
          const { schema, sql, writer } = yield* setUp
          yield* sql.unsafe(`CREATE TABLE ${ident(schema)}.t (a text NOT NULL, b bigint CHECK (b >= 0))`)
          const good = Array.from({ length: 500 }, (_, i) => ({ a: `ok ${i}`, b: i }))
          yield* writer.copy(schema, "t", ["a", "b"], good)
          const cases = [
            { rows: [...good, { a: null, b: 1 }], state: "23502", where: "line 501" },
            { rows: [...good, { a: "x", b: -1 }], state: "23514", where: "line 501" },
            { rows: [...good, { a: "x", b: "s3cr3t" }], state: "22P02", where: "line 501, column b" }
          ]
          for (const c of cases) {
            const failed = yield* Effect.flip(writer.copy(schema, "t", ["a", "b"], c.rows))
            assert.strictEqual(failed._tag, "CopyError")
            assert.strictEqual(failed.table, "t")
            expect(failed.message).toContain(`COPY into ${schema}.t failed`)
            expect(failed.message).toContain(`SQLSTATE ${c.state}, ${c.where}`)
            expect(failed.message).not.toContain("s3cr3t")
            assert.strictEqual(yield* count(schema, "t"), 500)
          }
          // The session is not left in a failed transaction: statements and COPY work on.
          yield* writer.copy(schema, "t", ["a", "b"], good)
          assert.strictEqual(yield* count(schema, "t"), 1000)
        }))

      it.scoped("a COPY waits for another fiber's transaction and does not roll back with it", () =>
        Effect.gen(function*() {
          const { schema, sql, writer } = yield* setUp
          yield* sql.unsafe(`CREATE TABLE ${ident(schema)}.a (id bigint)`)
          yield* sql.unsafe(`CREATE TABLE ${ident(schema)}.t (id bigint)`)
          const order: Array<string> = []
          const transaction = sql.withTransaction(Effect.gen(function*() {
            yield* sql.unsafe(`INSERT INTO ${ident(schema)}.a VALUES (1)`)
            yield* Effect.sleep("300 millis")
            yield* sql.unsafe(`INSERT INTO ${ident(schema)}.a VALUES (2)`)
            order.push("transaction")
            return yield* Effect.fail("roll back")
          }))
          const copy = Effect.sleep("50 millis").pipe(
            Effect.zipRight(writer.copy(schema, "t", ["id"], Array.from({ length: 2000 }, (_, id) => ({ id })))),
            Effect.tap(() => Effect.sync(() => order.push("copy")))
          )
          const [rolledBack] = yield* Effect.all([Effect.flip(transaction), copy], { concurrency: "unbounded" })
          assert.strictEqual(rolledBack, "roll back")
          expect(order).toEqual(["transaction", "copy"])
          assert.strictEqual(yield* count(schema, "a"), 0)
          assert.strictEqual(yield* count(schema, "t"), 2000)
        }))
    })
  })
}

/** The embedded database's child processes of this process (pids). */
const databaseProcesses = (): ReadonlyArray<number> => {
  try {
    return execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes("rest-connector embedded database"))
      .map((line) => Number(line.trim().split(/\s+/)[0]))
  } catch {
    return []
  }
}

const bigRows = Array.from({ length: 200_000 }, (_, id) => ({ id, txt: `row ${id} ${"é\t\\".repeat(20)}` }))

describe("an interrupted COPY into the embedded database", () => {
  it.live("leaves the data directory sound: interrupted, then its database process killed, the next run works", () =>
    Effect.gen(function*() {
      const dataDir = yield* Effect.acquireRelease(
        Effect.promise(() => mkdtemp(path.join(tmpdir(), "rc-ecopy-"))),
        (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
      )
      const database = Embedded.layer({ dataDir: path.join(dataDir, "db") })
      const rowsNow = count("public", "t")
      // A committed start, then a big COPY interrupted while it runs.
      const interrupted = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const writer = yield* PgCopy
        yield* sql.unsafe(`CREATE TABLE t (id bigint, txt text)`)
        yield* writer.copy("public", "t", ["id", "txt"], bigRows.slice(0, 1000))
        const fiber = yield* Effect.fork(writer.copy("public", "t", ["id", "txt"], bigRows))
        yield* Effect.sleep("300 millis")
        yield* Fiber.interrupt(fiber)
        // The session answers again once PGlite is done with the COPY, whole or not at all.
        return yield* rowsNow
      }).pipe(Effect.provide(database))
      expect([1000, 201_000]).toContain(interrupted)

      // A COPY under way when the database's process dies: a lost connection, no hang.
      const killed = yield* Effect.gen(function*() {
        assert.strictEqual(yield* rowsNow, interrupted)
        const writer = yield* PgCopy
        const fiber = yield* Effect.fork(writer.copy("public", "t", ["id", "txt"], bigRows))
        yield* Effect.sleep("300 millis")
        for (const pid of databaseProcesses()) process.kill(pid, "SIGKILL")
        return yield* Effect.flip(Fiber.join(fiber))
      }).pipe(Effect.provide(database))
      assert.strictEqual(killed._tag, "CopyError")
      expect(killed.message).toContain("COPY into public.t failed")

      // The next run opens the same directory: what committed is there, and COPY works.
      yield* Effect.gen(function*() {
        const before = yield* rowsNow
        expect([interrupted, interrupted + 200_000]).toContain(before)
        yield* Effect.flatMap(PgCopy, (w) => w.copy("public", "t", ["id", "txt"], bigRows.slice(0, 10)))
        assert.strictEqual(yield* rowsNow, before + 10)
      }).pipe(Effect.provide(Layer.fresh(database)))
    }).pipe(Effect.scoped), { timeout: 180_000 })
})
