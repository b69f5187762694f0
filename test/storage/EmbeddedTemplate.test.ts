/**
 * A new embedded data directory starts as a copy of the data directory the build initialized
 * (no initdb, whose WASM memory never shrinks), and the database runs with small buffers.
 * Real files in a temp folder, the real child process and real SQL.
 */
import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { existsSync } from "node:fs"
import { mkdtemp, readdir, rm, truncate, unlink, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Embedded from "../../src/Embedded.js"
import { seedFromTemplate, templateDir } from "../../src/internal/load/embeddedSetup.js"

const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "rc-template-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

const template = templateDir() ?? ""

/** Runs `sql` against the embedded database in `dataDir` (its own child process) and closes it. */
const query = (dataDir: string, sql: string) =>
  Effect.flatMap(SqlClient.SqlClient, (client) => client.unsafe<Record<string, unknown>>(sql)).pipe(
    Effect.provide(Embedded.layer({ dataDir }))
  )

describe("the embedded database's initialized template", () => {
  it("the build left one for the installed PGlite", () => {
    expect(existsSync(join(template, "PG_VERSION"))).toBe(true)
  })

  it.scoped("a new data directory is a copy of it, and a working database", () =>
    Effect.gen(function*() {
      const dir = join(yield* tempDir, "db")
      yield* seedFromTemplate(dir)
      expect((yield* Effect.promise(() => readdir(dir))).sort()).toEqual((yield* Effect.promise(() => readdir(template))).sort())
      yield* query(dir, "create table kept (id int primary key)")
      yield* query(dir, "insert into kept values (1), (2)")
      const rows = yield* query(dir, "select count(*)::int as n from kept")
      expect(rows).toEqual([{ n: 2 }])
    }))

  it.scoped("a copy cut short (PG_VERSION not yet there) is made again, damaged files included", () =>
    Effect.gen(function*() {
      const dir = join(yield* tempDir, "db")
      yield* seedFromTemplate(dir)
      yield* Effect.promise(() => unlink(join(dir, "PG_VERSION")))
      yield* Effect.promise(() => truncate(join(dir, "global", "pg_control"), 0))
      yield* seedFromTemplate(dir)
      const rows = yield* query(dir, "select 1 as one")
      expect(rows).toEqual([{ one: 1 }])
    }))

  it.scoped("a data directory that holds a database is left as it is", () =>
    Effect.gen(function*() {
      const dir = join(yield* tempDir, "db")
      yield* seedFromTemplate(dir)
      yield* query(dir, "create table mine (v text); insert into mine values ('still here')")
      yield* Effect.promise(() => writeFile(join(dir, "marker"), "x"))
      yield* seedFromTemplate(dir)
      expect(yield* query(dir, "select v from mine")).toEqual([{ v: "still here" }])
    }))

  it.scoped("the database runs with small buffers (the memory the issue's targets need)", () =>
    Effect.gen(function*() {
      const dir = join(yield* tempDir, "db")
      const rows = yield* query(dir, "select name, setting, unit from pg_settings where name in ('shared_buffers', 'maintenance_work_mem', 'temp_buffers') order by name")
      // shared_buffers and temp_buffers count 8 kB pages.
      expect(rows).toEqual([
        { name: "maintenance_work_mem", setting: "8192", unit: "kB" },
        { name: "shared_buffers", setting: "1024", unit: "8kB" },
        { name: "temp_buffers", setting: "256", unit: "8kB" }
      ])
    }))
})
