/**
 * The dashboard's data, read from the dataset: the overview (each resource's last run and
 * load), the load history and run documents, the table tree with its columns, the stored
 * state, a table's first rows and read-only SQL. Every table name that reaches SQL text is one
 * the catalog listed, quoted; the SQL box goes through the read-only query.
 */
import type * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { readCatalog } from "../load/catalog.js"
import type { DestinationError } from "../load/destination.js"
import { ident, qualified, SystemTables } from "../load/identifiers.js"
import { latestLoads, loadHistory, type LoadRecord } from "../load/history.js"
import { type QueryError, readOnlyQuery } from "../load/readOnlyQuery.js"
import { query } from "../load/sqlSession.js"
import { readStates } from "../load/storedStates.js"
import { readRuns } from "../pipeline/runDocuments.js"
import { readState } from "../pipeline/resourceState.js"
import {
  DashboardError,
  type DashboardResource,
  type History,
  type LoadView,
  type Overview,
  type ResourceOverview,
  type RowsView,
  type StateView
} from "./model.js"

const iso = (d: Date | undefined): string | null => d?.toISOString() ?? null

const loadView = (l: LoadRecord): LoadView => ({
  loadId: l.loadId,
  resource: l.resource,
  rows: l.rows,
  rowsPerTable: l.rowsPerTable,
  startedAt: iso(l.startedAt),
  finishedAt: iso(l.finishedAt),
  status: l.status,
  schemaVersion: l.schemaVersion ?? null
})

/** Run documents read for the overview (a resource's last run is in one of the newest). */
const overviewRuns = 50

/** The config's resources first, then any the dataset remembers that the config no longer has. */
const resourceNames = (resources: ReadonlyArray<DashboardResource>, others: Iterable<string>): ReadonlyArray<string> => {
  const names = resources.map((r) => r.name)
  const known = new Set(names)
  return [...names, ...[...new Set(others)].filter((n) => !known.has(n)).sort()]
}

export const overview = (
  dataset: string,
  resources: ReadonlyArray<DashboardResource>
): Effect.Effect<Overview, DestinationError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const runs = (yield* readRuns(sql, dataset, overviewRuns)).flatMap((r) => (r.report === undefined ? [] : [r.report]))
    const last = yield* latestLoads(sql, dataset)
    const configured = new Set(resources.map((r) => r.name))
    const names = resourceNames(resources, [...last.keys(), ...runs.flatMap((r) => r.resources.map((x) => x.resource))])
    const rows = names.map((name): ResourceOverview => {
      const run = runs.find((r) => r.resources.some((x) => x.resource === name && x.status !== "not started"))
      const entry = run?.resources.find((x) => x.resource === name)
      const load = last.get(name)
      return {
        resource: name,
        inConfig: configured.has(name),
        lastRun: run === undefined || entry === undefined ? null : { ...entry, load_id: run.load_id },
        lastLoad: load === undefined ? null : loadView(load)
      }
    })
    return { dataset, lastRun: runs[0] ?? null, resources: rows }
  })

export const history = (dataset: string, limit = 1000): Effect.Effect<History, DestinationError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const loads = yield* loadHistory(sql, dataset, { limit })
    const runs = yield* readRuns(sql, dataset, 100)
    return {
      loads: loads.loads.map(loadView).reverse(),
      totalLoads: loads.total,
      runs: runs.flatMap((r) =>
        r.report === undefined ? [] : [{
          loadId: r.report.load_id,
          status: r.report.status,
          startedAt: r.report.started_at ?? null,
          seconds: r.report.seconds,
          error: r.report.error,
          resources: r.report.resources.map((x) => ({ resource: x.resource, status: x.status, rows: x.rows, error: x.error }))
        }]
      )
    }
  })

export const state = (
  dataset: string,
  resources: ReadonlyArray<DashboardResource>
): Effect.Effect<ReadonlyArray<StateView>, DestinationError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const stored = yield* readStates(sql, dataset)
    const byName = new Map(stored.map((s) => [s.resource, s]))
    const configured = new Map(resources.map((r) => [r.name, r]))
    return resourceNames(resources, byName.keys()).map((name): StateView => {
      const resource = configured.get(name)
      const s = byName.get(name)
      const parsed = readState(s?.state)
      const perParent = Object.keys(parsed.perParent ?? {}).length
      const isChild = resource?.parent != null || (perParent > 0 && parsed.incremental === undefined)
      return {
        resource: name,
        inConfig: resource !== undefined,
        cursorPath: resource?.cursorPath ?? null,
        initialValue: resource?.initialValue ?? null,
        stored: s !== undefined,
        lastValue: isChild ? null : parsed.incremental?.lastValue ?? null,
        perParentCursors: isChild ? perParent : null,
        updatedAt: iso(s?.updatedAt),
        loadId: s?.loadId ?? null
      }
    })
  })

const unavailable = (e: DestinationError | QueryError) => new DashboardError({ reason: "Unavailable", message: e.message })

/** The tables of the dataset's catalog, system tables included (rows of `_rc_loads` are worth a look too). */
export const tableNames = (dataset: string): Effect.Effect<ReadonlyArray<string>, DestinationError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.map(readCatalog(sql, dataset), (c) => [...c.tables.keys()].sort()))

/** Largest row counts a page asks for. */
export const maxRows = 1000

/** The first `limit` rows of a table the catalog lists (any other name is `NotFound`, never SQL). */
export const tableRows = (
  dataset: string,
  table: string,
  limit: number
): Effect.Effect<RowsView, DashboardError, SqlClient.SqlClient | PgClient.PgClient> =>
  Effect.gen(function*() {
    const tables = yield* Effect.mapError(tableNames(dataset), unavailable)
    if (!tables.includes(table)) {
      return yield* Effect.fail(new DashboardError({ reason: "NotFound", message: `dataset '${dataset}' has no table '${table}'` }))
    }
    const n = Math.min(maxRows, Math.max(1, Math.floor(limit)))
    // Checked above, then quoted: the name is one the catalog gave.
    const result = yield* readOnlyQuery(dataset, `SELECT * FROM ${qualified(dataset, table)} LIMIT ${n + 1}`, { timeoutMillis: 10_000, maxRows: n })
      .pipe(Effect.mapError(unavailable))
    return { columns: result.columns.map((c) => c.name), rows: result.rows, command: result.command, truncated: result.truncated ?? false }
  })

export interface SqlBoxOptions {
  /** Cancel a statement after this long (default 10 s). */
  readonly timeoutMillis?: number | undefined
  /** Rows shown at most (default 1000). */
  readonly maxRows?: number | undefined
}

/** The SQL box: one statement, read-only (see readOnlyQuery.ts), bounded in time and rows. */
export const runQuery = (
  dataset: string,
  statement: string,
  options: SqlBoxOptions = {}
): Effect.Effect<RowsView, DashboardError, PgClient.PgClient> =>
  readOnlyQuery(dataset, statement, { timeoutMillis: options.timeoutMillis ?? 10_000, maxRows: options.maxRows ?? maxRows }).pipe(
    Effect.map((result) => ({
      columns: result.columns.map((c) => c.name),
      rows: result.rows,
      command: result.command,
      truncated: result.truncated ?? false
    })),
    Effect.mapError((e) =>
      new DashboardError({ reason: e.reason === "Connect" ? "Unavailable" : "BadRequest", message: e.message })
    ),
    // The embedded database (PGlite) ignores statement_timeout: the answer, at least, does not wait for it.
    Effect.timeoutFail({
      duration: (options.timeoutMillis ?? 10_000) + 2_000,
      onTimeout: () => new DashboardError({ reason: "BadRequest", message: "the statement ran past its time limit" })
    })
  )

/** How many schema versions the dataset recorded (none before its first load). */
export const versionCount = (dataset: string): Effect.Effect<number, DestinationError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const tables = yield* tableNames(dataset)
    if (!tables.includes(SystemTables.version)) return 0
    const rows = yield* query<{ readonly n: string }>(
      sql,
      `SELECT count(*)::text AS n FROM ${ident(dataset)}.${ident(SystemTables.version)}`,
      [],
      "counting schema versions",
      dataset
    )
    return Number(rows[0]?.n ?? 0)
  })
