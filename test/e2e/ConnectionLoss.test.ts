/**
 * Database connections lost during a run (a server restart, `pg_terminate_backend`): before
 * the commit the resource is loaded again with a fresh connection, with a warning; during the
 * commit it fails, saying so, and the next run converges. Server only (TEST_DATABASE_URL): the
 * test ends the run's sessions, found by the application name of its pool, while one of them
 * waits for a lock the test holds.
 */
import { describe, expect, layer } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { Deferred, Effect, Fiber, Layer, Logger, LogLevel, Redacted } from "effect"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import { stagingSchemaName } from "../../src/internal/load/identifiers.js"
import * as PgPool from "../../src/internal/load/pgPool.js"
import * as PostgresDestination from "../../src/internal/load/postgresDestination.js"
import { lockKey } from "../../src/internal/load/sqlText.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import { databaseTargets, freshDataset } from "../support/database.js"
import { serveJson } from "../support/loopback.js"

const serverUrl = process.env["TEST_DATABASE_URL"]
const server = databaseTargets.find((t) => t.name === "postgres server")

/** Items 1..6 in pages of two; `names` can change between runs. */
const itemsApi = Effect.gen(function*() {
  const names = new Map([1, 2, 3, 4, 5, 6].map((id) => [id, `item ${id}`]))
  const api = yield* serveJson((url) => {
    const page = Number(url.searchParams.get("page") ?? "1")
    const items = [...names.entries()].map(([id, name]) => ({ id, name }))
    return { body: { data: items.slice((page - 1) * 2, page * 2), total_pages: Math.ceil(items.length / 2) } }
  })
  return { url: api.url, names }
})

const config = (baseUrl: string) => ({
  client: { base_url: baseUrl },
  resources: [{
    name: "items",
    primary_key: "id",
    write_disposition: "merge" as const,
    endpoint: { path: "items", data_selector: "data", paginator: { type: "page_number" as const, base_page: 1, total_path: "total_pages" } }
  }]
})

describe.runIf(server !== undefined && serverUrl !== undefined)("postgres server", () => {
  const url = serverUrl ?? ""
  const Live = Layer.mergeAll(ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(
    Layer.provideMerge(server?.layer ?? Layer.die("no server"))
  )

  /** A pipeline run over a pool of its own, named `name`; its warnings go to `warnings`. */
  const runAs = (name: string, source: RestApiSource.RestApiSource, dataset: string, warnings: Array<string>) => {
    const capture = Logger.make(({ logLevel, message }) => {
      if (logLevel === LogLevel.Warning) warnings.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    return Pipeline.run(source, { dataset }).pipe(
      Effect.provide(PostgresDestination.layer.pipe(Layer.provide(PgPool.layerPool({ url: Redacted.make(url), maxConnections: 4, applicationName: name })))),
      Effect.provide(Logger.replace(Logger.defaultLogger, capture))
    )
  }

  /**
   * Runs `statement` (which takes a lock) in a transaction of the test's that holds it until
   * the returned effect is run; the lock is held when this returns.
   */
  const holdLock = (statement: string, params: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const held = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const holder = yield* sql.withTransaction(
        sql.unsafe(statement, params).pipe(Effect.zipRight(Deferred.succeed(held, undefined)), Effect.zipRight(Deferred.await(release)))
      ).pipe(Effect.forkScoped)
      yield* Deferred.await(held)
      return Effect.zipRight(Deferred.succeed(release, undefined), Fiber.join(holder))
    })

  /** Once a session named `name` waits for a lock, every session of that name is ended. */
  const terminateWhenWaiting = (name: string) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const waiting = sql.unsafe<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [name]
      )
      while ((yield* waiting)[0].n === 0) yield* Effect.sleep("20 millis")
      const ended = yield* sql.unsafe<{ n: number }>(
        `SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1) t`,
        [name]
      )
      expect(ended[0].n).toBeGreaterThan(0)
    }).pipe(Effect.timeout("20 seconds"))

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("a connection lost before the commit: the resource is loaded again with a fresh connection, with a warning", () =>
      Effect.gen(function*() {
        const api = yield* itemsApi
        const dataset = yield* freshDataset("cl")
        const sql = yield* SqlClient.SqlClient
        const name = `rc-lost-${dataset}`
        const source = yield* RestApiSource.make(config(api.url))
        // The run's first write to staging makes the staging schema under this lock: it waits there.
        const release = yield* holdLock("SELECT pg_advisory_xact_lock(hashtext($1))", [lockKey(stagingSchemaName(dataset))])
        const warnings: Array<string> = []
        const run = yield* Effect.fork(runAs(name, source, dataset, warnings))
        yield* terminateWhenWaiting(name)
        yield* release
        const info = yield* Fiber.join(run)

        expect(info.failed, info.resources.map((r) => r.error?.message).join("; ")).toBe(false)
        expect(info.resources[0].rowsPerTable).toEqual({ items: 6 })
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toMatch(
          /^the connection to the database was lost while loading items \(.*(terminating connection|Connection terminated).*\); loading items again from its first page in 1s \(attempt 2 of 4\)$/
        )
        const ids = yield* sql.unsafe<{ id: string }>(`SELECT id::text FROM "${dataset}".items ORDER BY id`)
        expect(ids.map((r) => r.id)).toEqual(["1", "2", "3", "4", "5", "6"])
        expect((yield* sql.unsafe(`SELECT 1 FROM "${dataset}"._rc_loads`)).length).toBe(1)
      }))

    it.scoped("a connection lost during the commit fails the resource, saying so; the next run converges", () =>
      Effect.gen(function*() {
        const api = yield* itemsApi
        const dataset = yield* freshDataset("cl")
        const sql = yield* SqlClient.SqlClient
        const name = `rc-lost-${dataset}`
        const source = yield* RestApiSource.make(config(api.url))
        const warnings: Array<string> = []
        const first = yield* runAs(name, source, dataset, warnings)
        expect(first.failed).toBe(false)

        api.names.set(2, "renamed")
        // The commit's merge into `items` waits for the test's lock on it.
        const release = yield* holdLock(`LOCK TABLE "${dataset}".items IN ACCESS EXCLUSIVE MODE`, [])
        const run = yield* Effect.fork(runAs(name, source, dataset, warnings))
        yield* terminateWhenWaiting(name)
        yield* release
        const second = yield* Fiber.join(run)
        expect(second.failed).toBe(true)
        const error = second.resources[0].error
        expect(error?._tag === "DestinationError" ? error.reason : error?._tag).toBe("ConnectionLostInCommit")
        expect(error?.message).toMatch(
          /^the connection to the database was lost during the commit of items, which may or may not have taken effect; rows and state commit together, so the next run converges \(.*(terminating connection|Connection terminated)/
        )
        // Not loaded again: the commit may have taken effect.
        expect(warnings).toEqual([])

        const third = yield* runAs(name, source, dataset, warnings)
        expect(third.failed).toBe(false)
        const rows = yield* sql.unsafe<{ id: string; name: string }>(`SELECT id::text, name FROM "${dataset}".items ORDER BY id`)
        expect(rows).toHaveLength(6)
        expect(rows[1]).toEqual({ id: "2", name: "renamed" })
        expect((yield* sql.unsafe(`SELECT 1 FROM "${dataset}"._rc_loads`)).length).toBe(2)
      }))
  })
})
