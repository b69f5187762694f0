/**
 * `COPY ... FROM STDIN` bulk writer (src/internal/load: copyText.ts, chunkEncoder.ts,
 * rowsEncoder.ts, pgCopy.ts). The encoding tests always run; the round-trip and speed tests
 * need a Postgres server and are only defined when `TEST_DATABASE_URL` is set (the embedded
 * database's COPY, which goes beside its socket, has its own suite: EmbeddedCopy.test.ts).
 */
import { assert, describe, expect, it, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Cause, Effect, Exit, Layer, Option, Redacted } from "effect"
import pg from "pg"
import * as CopyText from "../../src/internal/load/copyText.js"
import * as Copy from "../../src/internal/load/pgCopy.js"
import { PgCopy } from "../../src/internal/load/pgCopy.js"
import * as PgPool from "../../src/internal/load/pgPool.js"
import { ChunkPool, RowsEncoder } from "../../src/internal/load/rowsEncoder.js"
import { ident } from "../../src/internal/load/identifiers.js"
import { columns, countDiff, createTable, expectedMixed, jsonInsert, rowAt } from "../support/copyRows.js"
import { freshDataset } from "../support/database.js"

// ---------------------------------------------------------------------------
// encoding (no database)
// ---------------------------------------------------------------------------

/** The rows as COPY text chunks, through a RowsEncoder over a pool that keeps nothing. */
const encodeAll = (
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
  columns: ReadonlyArray<string>,
  kinds: ReadonlyArray<CopyText.ColumnKind>,
  chunkBytes: number
): ReadonlyArray<Buffer> => {
  const encoder = new RowsEncoder(columns, kinds, chunkBytes, new ChunkPool(chunkBytes, 0))
  encoder.append(rows)
  return encoder.take()
}

describe("COPY text encoding", () => {
  it("escapes backslash, newline, carriage return and tab; NULL is \\N", () => {
    expect(CopyText.encodeValue("a\tb\nc\rd\\e", "other")).toBe("a\\tb\\nc\\rd\\\\e")
    expect(CopyText.encodeValue("\\N", "other")).toBe("\\\\N")
    expect(CopyText.encodeValue("", "other")).toBe("")
    expect(CopyText.encodeValue(null, "other")).toBe("\\N")
    expect(CopyText.encodeValue(undefined, "json")).toBe("\\N")
  })

  it("encodes scalars by type", () => {
    expect(CopyText.encodeValue(true, "other")).toBe("true")
    expect(CopyText.encodeValue(12.5, "float")).toBe("12.5")
    expect(CopyText.encodeValue(9007199254740993n, "other")).toBe("9007199254740993")
    expect(CopyText.encodeValue(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), "other")).toBe("2024-01-02T03:04:05.006Z")
    expect(CopyText.encodeValue(new Date(Number.NaN), "other")).toBe("\\N")
    expect(CopyText.encodeValue(Number.NaN, "float")).toBe("NaN")
    expect(CopyText.encodeValue(-Infinity, "float")).toBe("-Infinity")
    expect(CopyText.encodeValue(Number.NaN, "other")).toBe("\\N")
    expect(CopyText.encodeValue({ a: [1, "x\ty"] }, "other")).toBe("{\"a\":[1,\"x\\\\ty\"]}")
  })

  it("encodes json columns as JSON text, strings included", () => {
    expect(CopyText.encodeValue("abc", "json")).toBe("\"abc\"")
    expect(CopyText.encodeValue(1, "json")).toBe("1")
    expect(CopyText.encodeValue({ s: "q\"\\\n" }, "json")).toBe("{\"s\":\"q\\\\\"\\\\\\\\\\\\n\"}")
    expect(CopyText.encodeValue({ n: 1n }, "json")).toBe("{\"n\":\"1\"}")
  })

  it("chunks rows without splitting lines and reads prototype names as own properties only", () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ a: `row ${i}`, b: i }))
    const chunks = encodeAll(rows, ["a", "b", "toString"], ["other", "other", "other"], 4096).map((b) => b.toString("utf8"))
    expect(chunks.length).toBeGreaterThan(3)
    for (const chunk of chunks) {
      expect(chunk.endsWith("\n")).toBe(true)
      expect(chunk.length).toBeLessThan(4096 + 64)
    }
    const lines = chunks.join("").split("\n")
    expect(lines.length).toBe(1001)
    expect(lines[7]).toBe("row 7\t7\t\\N")
  })

  it("writes exactly the bytes of encodeValue, joined by tabs and newlines, for every kind of value", () => {
    const long = "x".repeat(60)
    const values: ReadonlyArray<unknown> = [
      null, undefined, "", "a", "tab\tnew\nline\rback\\", "é", "中文 🎉", `${long}\t${long}`, `${long}é\n`, "\u0001\u001f",
      "\ud800 lone surrogate", 0, -0, 7, 10, 99, 100, 123456789, 2 ** 53 - 1, 2 ** 53, -1, -123, 0.5, -0.25, 1e21, 1e-7,
      Number.NaN, Infinity, -Infinity, true, false, 12345678901234567890n, -5n, new Date(Date.UTC(2024, 1, 3, 4, 5, 6, 7)),
      new Date(Number.NaN), { a: [1, "x\ty", null] }, ["é", { b: "\\" }],
      // Dates are written digit by digit: every field's width, and years toISOString extends.
      new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)), new Date(Date.UTC(2000, 0, 1, 0, 0, 0, 0)),
      new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)), new Date(Date.UTC(10000, 0, 1)), new Date("0001-02-03T04:05:06.070Z"),
      new Date(Date.UTC(-1, 5, 6)), new Date(Date.UTC(-12345, 0, 1)), new Date(0),
      // Long strings take the native write and a scan for escapes.
      `${long}plain`, `${long}\\`, `${long}\u0000`, `${"é".repeat(40)}\t`, "🎉".repeat(30)
    ]
    const kinds: ReadonlyArray<CopyText.ColumnKind> = ["other", "float", "json"]
    const columns = values.map((_, i) => `c${i}`)
    for (const kind of kinds) {
      // Each value in a row of its own, and all of them in one row.
      const rows = [...values.map((v) => ({ c0: v })), Object.fromEntries(values.map((v, i) => [`c${i}`, v]))]
      const expected = [
        ...values.map((v) => `${CopyText.encodeValue(v, kind)}${"\t\\N".repeat(values.length - 1)}\n`),
        `${values.map((v) => CopyText.encodeValue(v, kind)).join("\t")}\n`
      ].join("")
      const chunks = encodeAll(rows, columns, columns.map(() => kind), 64)
      // As bytes: a lone surrogate becomes U+FFFD either way.
      expect(Buffer.concat(chunks).equals(Buffer.from(expected, "utf8"))).toBe(true)
      expect(Buffer.concat(chunks).toString("utf8")).toBe(Buffer.from(expected, "utf8").toString("utf8"))
    }
  })

  it("reuses pooled chunk buffers: the same bytes from recycled (dirty) buffers, at most `max` kept", () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({ a: `row ${i} é`, b: i, c: i % 3 === 0 ? null : { i } }))
    const pool = new ChunkPool(1024, 3)
    const encode = () => {
      const encoder = new RowsEncoder(["a", "b", "c"], ["other", "other", "json"], 1024, pool)
      // Half now, half later: rows are encoded as they are appended.
      encoder.append(rows.slice(0, 1000))
      encoder.append(rows.slice(1000))
      expect(encoder.rows).toBe(2000)
      const chunks = encoder.take()
      expect(encoder.bytes).toBe(chunks.reduce((n, c) => n + c.length, 0))
      return { bytes: Buffer.concat(chunks), used: chunks.map((c) => c.buffer), encoder }
    }
    const first = encode()
    expect(first.used.length).toBeGreaterThan(3)
    first.encoder.release()
    expect(pool.available).toBe(3)
    const second = encode()
    // Three of the second run's buffers are the first run's, written over.
    expect(second.used.filter((b) => first.used.includes(b)).length).toBe(3)
    expect(second.bytes.equals(first.bytes)).toBe(true)
    expect(first.bytes.toString("utf8").split("\n")[4]).toBe("row 4 é\t4\t{\"i\":4}")
  })

  it("keeps quoted values out of data-exception messages", () => {
    const failure = Object.assign(new Error("invalid input syntax for type bigint: \"my secret\""), {
      code: "22P02",
      where: "COPY t, line 3, column b: \"my secret\""
    })
    const text = Copy.describeFailure(failure)
    expect(text).not.toContain("secret")
    expect(text).toContain("SQLSTATE 22P02, line 3, column b")
  })
})

// ---------------------------------------------------------------------------
// against a Postgres server
// ---------------------------------------------------------------------------

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

const rate = (rows: number, ms: number) => Math.round(rows / (ms / 1000))

if (serverUrl !== undefined) {
  // One pool for queries and COPY, as the CLI builds it.
  const Live = PgPool.layerPool({ url: Redacted.make(serverUrl), maxConnections: 3 })

  describe("CopyWriter (postgres server)", () => {
    layer(Live, { excludeTestServices: true })((it) => {
      it.scoped("100k rows of every type round-trip exactly, and as the json_to_recordset path stores them", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const schema = yield* freshDataset("copy")
          yield* sql.unsafe(`CREATE SCHEMA ${ident(schema)}`)
          for (const t of ["warm_copy", "warm_json", "by_copy", "by_json"]) yield* sql.unsafe(createTable(schema, t))
          const writer = yield* PgCopy

          const n = 100_000
          const rows = Array.from({ length: n }, (_, i) => rowAt(i))
          const viaJson = (table: string, batch: ReadonlyArray<object>) =>
            Effect.gen(function*() {
              for (let i = 0; i < batch.length; i += 50_000) {
                yield* sql.unsafe(jsonInsert(schema, table), [JSON.stringify(batch.slice(i, i + 50_000))])
              }
            })
          // Warm up both paths (JIT, connections, plan caches).
          yield* writer.copy(schema, "warm_copy", columns, rows.slice(0, 2000))
          yield* viaJson("warm_json", rows.slice(0, 2000))

          let t0 = performance.now()
          yield* writer.copy(schema, "by_copy", columns, rows)
          const copyMs = performance.now() - t0
          t0 = performance.now()
          yield* viaJson("by_json", rows)
          const jsonMs = performance.now() - t0
          console.log(
            `COPY: ${n} rows in ${copyMs.toFixed(0)} ms = ${rate(n, copyMs)} rows/s; ` +
              `json_to_recordset: ${jsonMs.toFixed(0)} ms = ${rate(n, jsonMs)} rows/s; ` +
              `speed-up ${(jsonMs / copyMs).toFixed(2)}x`
          )

          // Same rows as the current path stores, both ways round.
          assert.strictEqual(yield* countDiff(sql, schema, "by_copy", "by_json"), 0)
          assert.strictEqual(yield* countDiff(sql, schema, "by_json", "by_copy"), 0)

          // And exactly what was sent.
          const back = yield* sql.unsafe<{
            readonly id: string
            readonly big: string
            readonly txt: string
            readonly dbl: number
            readonly flag: boolean
            readonly ts: Date
            readonly doc: unknown
            readonly num: string
            readonly mixed: string
            readonly opt: string | null
          }>(`SELECT * FROM ${ident(schema)}."by_copy" ORDER BY id`).withoutTransform
          assert.strictEqual(back.length, n)
          for (let i = 0; i < n; i++) {
            const want = rows[i]
            const got = back[i]
            if (
              got.id !== String(i) || got.big !== String(want.big) || got.txt !== want.txt || got.dbl !== want.dbl ||
              got.flag !== want.flag || got.ts.getTime() !== want.ts.getTime() || got.num !== want.num ||
              got.mixed !== expectedMixed(want.mixed) || got.opt !== want.opt
            ) {
              assert.fail(`row ${i} differs: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`)
            }
            expect(got.doc).toEqual(want.doc)
          }
        }), { timeout: 120_000 })

      it.scoped("NaN/Infinity, bigint, invalid Date, missing and prototype-named columns", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const schema = yield* freshDataset("copy")
          yield* sql.unsafe(`CREATE SCHEMA ${ident(schema)}`)
          yield* sql.unsafe(
            `CREATE TABLE ${ident(schema)}.t (a double precision, b bigint, c timestamptz, d jsonb, "toString" text, e text)`
          )
          const writer = yield* PgCopy
          yield* writer.copy(schema, "t", ["a", "b", "c", "d", "toString", "e"], [
            { a: Number.NaN, b: 12345678901234567n, c: new Date(Number.NaN), d: { big: 1n }, e: Number.POSITIVE_INFINITY },
            { a: Number.NEGATIVE_INFINITY, d: "a string", toString: "own" }
          ])
          const rows = yield* sql.unsafe<{ readonly a: string; readonly b: string | null; readonly c: string | null; readonly d: string | null; readonly ts: string | null; readonly e: string | null }>(
            `SELECT a::text AS a, b::text AS b, c::text AS c, d::text AS d, "toString" AS ts, e FROM ${ident(schema)}.t ORDER BY a`
          ).withoutTransform
          expect(rows).toEqual([
            { a: "-Infinity", b: null, c: null, d: "\"a string\"", ts: "own", e: null },
            { a: "NaN", b: "12345678901234567", c: null, d: "{\"big\": \"1\"}", ts: null, e: null }
          ])
        }))

      it.scoped("errors name table, SQLSTATE and position, never row data or the password", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const schema = yield* freshDataset("copy")
          yield* sql.unsafe(`CREATE SCHEMA ${ident(schema)}`)
          yield* sql.unsafe(`CREATE TABLE ${ident(schema)}.t (a text, b bigint, d jsonb)`)
          const writer = yield* PgCopy
          const good = Array.from({ length: 10 }, (_, i) => ({ a: `ok ${i}`, b: i, d: [i] }))

          const bad = yield* Effect.flip(writer.copy(schema, "t", ["a", "b"], [...good, { a: "x", b: "s3cr3t-b1gint" }]))
          assert.strictEqual(bad._tag, "CopyError")
          assert.strictEqual(bad.table, "t")
          expect(bad.message).toContain("22P02")
          expect(bad.message).toContain("line 11, column b")
          expect(bad.message).not.toContain("s3cr3t")
          expect(bad.message).not.toContain("ok 1")

          const badJson = yield* Effect.flip(writer.copy(schema, "t", ["a", "d"], [{ a: "x", d: "\u0000secret" }]))
          expect(badJson.message).not.toContain("secret")

          const missing = yield* Effect.flip(writer.copy(schema, "t", ["a", "nope"], good))
          expect(missing.message).toContain("\"nope\" does not exist")
          const noTable = yield* Effect.flip(writer.copy(schema, "absent", ["a"], good))
          expect(noTable.message).toContain("does not exist")

          // The failed COPYs were rolled back whole; the writer still works.
          yield* writer.copy(schema, "t", ["a", "b", "d"], good)
          const count = yield* sql.unsafe<{ readonly n: number }>(`SELECT count(*)::int AS n FROM ${ident(schema)}.t`)
          assert.strictEqual(count[0].n, 10)

          const password = "Pw-9f8e7d6c5b"
          const url = new URL(serverUrl)
          url.password = password
          url.port = "1"
          // A pool that lost its server: COPY fails with the driver's reason, never the password.
          const lost = yield* Effect.acquireRelease(
            Effect.sync(() => new pg.Pool({ connectionString: url.toString() })),
            (pool) => Effect.promise(() => pool.end())
          )
          const unreachable = yield* Copy.makeWriter(lost)
          const refused = yield* Effect.flip(unreachable.copy(schema, "t", ["a"], good))
          expect(refused.message).not.toContain(password)
          expect(refused.message).toContain("ECONNREFUSED")

          // The shared pool is checked when its layer is built: a bad URL fails at startup.
          const startup = yield* Effect.exit(
            Effect.scoped(Layer.build(PgPool.layerPool({ url: Redacted.make(url.toString()) })))
          )
          assert.isTrue(Exit.isFailure(startup))
          if (Exit.isFailure(startup)) {
            const failure = Cause.failureOption(startup.cause)
            assert.isTrue(Option.isSome(failure))
            if (Option.isSome(failure)) {
              assert.strictEqual(failure.value._tag, "SqlError")
              expect(failure.value.message).not.toContain(password)
            }
          }
        }))
    })
  })
}
