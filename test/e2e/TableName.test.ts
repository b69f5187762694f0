/**
 * dlt's `table_name` function: each record goes to the table it names (events by type, say),
 * each with its own child tables, through Pipeline.run into a real Postgres (PGlite, and the
 * server with TEST_DATABASE_URL), against an API on loopback.
 */
import { expect, layer } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer } from "effect"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { serveJson } from "../support/loopback.js"

interface Event {
  readonly id: number
  readonly type: string
  readonly payload: { readonly size: number; readonly tags: ReadonlyArray<string> }
}

/** An events API on 127.0.0.1: pages of three of the current `events` (a list the test changes). */
const eventsApi = Effect.gen(function*() {
  const events: Array<Event> = []
  const server = yield* serveJson((url) => {
    const page = Number(url.searchParams.get("page") ?? "1")
    return { body: { data: events.slice((page - 1) * 3, page * 3), total_pages: Math.ceil(events.length / 3) } }
  })
  return { url: server.url, events }
})

const config = (baseUrl: string, tableName: (record: unknown) => unknown, incremental?: { cursor_path: string; initial_value: number }) => ({
  client: { base_url: baseUrl },
  resources: [{
    name: "events",
    primary_key: "id",
    write_disposition: "merge" as const,
    table_name: tableName,
    endpoint: {
      path: "events",
      data_selector: "data",
      paginator: { type: "page_number" as const, base_page: 1, total_path: "total_pages" },
      ...(incremental === undefined ? {} : { incremental })
    }
  }]
})

const byType = (record: unknown) =>
  typeof record === "object" && record !== null && "type" in record ? `events_${String(record.type)}` : undefined

const rows = (dataset: string, table: string, columns: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<Record<string, string>>(`SELECT ${columns} FROM "${dataset}"."${table}" ORDER BY 1, 2`))

forEachDatabase((target) => {
  const Live = Layer.mergeAll(target.destination, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("routes each record to its table, child tables per table; a second run merges per table", () =>
      Effect.gen(function*() {
        const api = yield* eventsApi
        const dataset = yield* freshDataset("tn")
        api.events.push(
          { id: 1, type: "push", payload: { size: 3, tags: ["a", "b"] } },
          { id: 2, type: "Issue", payload: { size: 1, tags: [] } },
          { id: 3, type: "push", payload: { size: 5, tags: ["c"] } },
          { id: 4, type: "Issue", payload: { size: 2, tags: ["d"] } }
        )
        const source = yield* RestApiSource.make(config(api.url, byType))
        // Batches of 1 record: a table's rows are staged before the next table first appears.
        const first = yield* Pipeline.run(source, { dataset, batchRows: 1 })
        expect(first.failed, first.resources.map((r) => r.error?.message).join("; ")).toBe(false)
        expect(first.resources[0].rows).toBe(4)
        expect(first.resources[0].rowsPerTable).toEqual({ events_push: 2, events_push__payload__tags: 3, events_issue: 2, events_issue__payload__tags: 1 })
        expect(yield* rows(dataset, "events_push", "id::text, payload__size::text")).toEqual([{ id: "1", payload__size: "3" }, {
          id: "3",
          payload__size: "5"
        }])
        expect(yield* rows(dataset, "events_issue", "id::text, type")).toEqual([{ id: "2", type: "Issue" }, { id: "4", type: "Issue" }])
        expect(yield* rows(dataset, "events_push__payload__tags", "value, _rc_list_idx::text")).toEqual([
          { value: "a", _rc_list_idx: "0" },
          { value: "b", _rc_list_idx: "1" },
          { value: "c", _rc_list_idx: "0" }
        ])
        // One _rc_loads row for the resource, naming every table it loaded.
        const loads = yield* rows(dataset, "_rc_loads", "resource, rows::text")
        expect(loads.map((l) => [l.resource, JSON.parse(l.rows)])).toEqual([["events", first.resources[0].rowsPerTable]])

        // Second run: event 1 changed, a new type appears; merge applies per table.
        api.events[0] = { id: 1, type: "push", payload: { size: 30, tags: ["z"] } }
        api.events.push({ id: 5, type: "fork", payload: { size: 0, tags: [] } })
        const second = yield* Pipeline.run(source, { dataset, batchRows: 1 })
        expect(second.failed).toBe(false)
        expect(yield* rows(dataset, "events_push", "id::text, payload__size::text")).toEqual([{ id: "1", payload__size: "30" }, {
          id: "3",
          payload__size: "5"
        }])
        expect(yield* rows(dataset, "events_push__payload__tags", "value, _rc_list_idx::text")).toEqual([
          { value: "c", _rc_list_idx: "0" },
          { value: "z", _rc_list_idx: "0" }
        ])
        expect(yield* rows(dataset, "events_fork", "id::text, type")).toEqual([{ id: "5", type: "fork" }])
        expect(yield* rows(dataset, "events_issue", "id::text, type")).toHaveLength(2)
      }))

    it.scoped("a routed resource commits all of its tables, its state and its _rc_loads row together, or none of them", () =>
      Effect.gen(function*() {
        const api = yield* eventsApi
        const dataset = yield* freshDataset("tn")
        const sql = yield* SqlClient.SqlClient
        api.events.push(
          { id: 1, type: "push", payload: { size: 3, tags: ["a"] } },
          { id: 2, type: "issue", payload: { size: 1, tags: ["b"] } },
          { id: 3, type: "push", payload: { size: 5, tags: [] } }
        )
        // A table of the user's whose constraint refuses the rows routed to it: the second
        // routed table fails inside the commit, after the first table's rows went in.
        yield* sql.unsafe(`CREATE SCHEMA "${dataset}"`)
        yield* sql.unsafe(`CREATE TABLE "${dataset}".events_issue (id bigint CHECK (id < 0))`)
        const source = yield* RestApiSource.make(config(api.url, byType, { cursor_path: "id", initial_value: 0 }))
        const failed = yield* Pipeline.run(source, { dataset, batchRows: 1 })
        expect(failed.failed).toBe(true)
        expect(failed.resources[0].error?.message).toMatch(/events_issue_id_check/)
        const count = (table: string) =>
          Effect.map(
            sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM "${dataset}"."${table}"`),
            (r) => r[0].n
          ).pipe(Effect.catchAll(() => Effect.succeed(0)))
        // Tables the preparation made may exist, empty: no rows, no state, no load record.
        for (const table of ["events_push", "events_push__payload__tags", "events_issue", "_rc_loads", "_rc_state"]) {
          expect([table, yield* count(table)]).toEqual([table, 0])
        }

        yield* sql.unsafe(`ALTER TABLE "${dataset}".events_issue DROP CONSTRAINT events_issue_id_check`)
        const ok = yield* Pipeline.run(source, { dataset, batchRows: 1 })
        expect(ok.failed, ok.resources.map((r) => r.error?.message).join("; ")).toBe(false)
        expect(yield* count("events_push")).toBe(2)
        expect(yield* count("events_issue")).toBe(1)
        const loads = yield* rows(dataset, "_rc_loads", "resource, rows::text")
        expect(loads.map((l) => [l.resource, JSON.parse(l.rows)])).toEqual([["events", {
          events_push: 2,
          events_push__payload__tags: 1,
          events_issue: 1,
          events_issue__payload__tags: 1
        }]])
        const state = yield* sql.unsafe<{ last: string }>(
          `SELECT state->'incremental'->>'lastValue' AS last FROM "${dataset}"._rc_state WHERE resource = 'events'`
        )
        expect(state).toEqual([{ last: "3" }])
      }))

    it.scoped("a table_name function that throws or names no table fails the resource, naming the record, and loads nothing", () =>
      Effect.gen(function*() {
        const api = yield* eventsApi
        const dataset = yield* freshDataset("tn")
        api.events.push({ id: 1, type: "push", payload: { size: 1, tags: [] } }, { id: 2, type: "", payload: { size: 1, tags: [] } })
        for (const [route, expected] of [
          [(r: unknown) => (byType(r) === "events_" ? "" : byType(r)), /record 1: the table_name function returned "", not a table name/],
          [(r: unknown) => {
            if (byType(r) === "events_") throw new Error("no type")
            return byType(r)
          }, /record 1: the table_name function threw: no type/]
        ] as const) {
          const source = yield* RestApiSource.make(config(api.url, route))
          const info = yield* Pipeline.run(source, { dataset })
          expect(info.failed).toBe(true)
          expect(info.resources[0].error?.message).toMatch(expected)
        }
        const sql = yield* SqlClient.SqlClient
        const tables = yield* sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1`, [dataset])
        expect(tables[0].n).toBe(0)
      }))

    it.scoped("a table_name function that names a reserved _rc_ table fails the resource and alters no system table", () =>
      Effect.gen(function*() {
        const api = yield* eventsApi
        const dataset = yield* freshDataset("tn")
        api.events.push({ id: 1, type: "push", payload: { size: 1, tags: [] } })
        const ok = yield* Pipeline.run(yield* RestApiSource.make(config(api.url, byType)), { dataset })
        expect(ok.failed).toBe(false)
        const sql = yield* SqlClient.SqlClient
        const columnsOf = (table: string) =>
          sql.unsafe<{ c: string }>(
            `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY 1`,
            [dataset, table]
          )
        const before = yield* columnsOf("_rc_loads")
        for (const reserved of ["_rc_loads", "_RC_State", "_rc_anything"]) {
          const info = yield* Pipeline.run(yield* RestApiSource.make(config(api.url, () => reserved)), { dataset })
          expect(info.failed).toBe(true)
          expect(info.resources[0].error?.message).toMatch(new RegExp(`returned '${reserved}', a reserved name`))
        }
        expect(yield* columnsOf("_rc_loads")).toEqual(before)
        expect((yield* rows(dataset, "_rc_loads", "resource, rows::text")).length).toBe(1)
      }))
  })
})
