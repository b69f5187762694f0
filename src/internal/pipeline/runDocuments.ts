/**
 * Each run's report kept in its dataset: `_rc_runs` holds the document `run --json` prints
 * (for a failed or interrupted run too), written once when the run has ended, after its loads
 * committed. The load history (`_rc_loads`) says what committed; these say how the runs went:
 * timings, retries and errors. Readers (the dashboard) decode the documents with `RunReport`.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Either, Schema } from "effect"
import type { DestinationError } from "../load/destination.js"
import { destinationError } from "../load/destinationErrors.js"
import { ident, qualified, SystemTables } from "../load/identifiers.js"
import { exec, exists, query } from "../load/sqlSession.js"
import { tableExistsSql } from "../load/sqlText.js"
import { RunReport } from "./runReport.js"

const createRunsSql = (dataset: string) =>
  `CREATE TABLE IF NOT EXISTS ${qualified(dataset, SystemTables.runs)} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, load_id text, started_at timestamptz,
  finished_at timestamptz, status text NOT NULL, document jsonb NOT NULL)`

const insertRunSql = (dataset: string) =>
  `INSERT INTO ${qualified(dataset, SystemTables.runs)} (load_id, started_at, finished_at, status, document)
  VALUES ($1, $2::timestamptz, $3::timestamptz, $4, $5::jsonb)`

/** Stores one run's report; the dataset and the table are created if missing (a run may fail before its first load). */
export const storeRun = (sql: SqlClient.SqlClient, report: RunReport): Effect.Effect<void, DestinationError> =>
  Effect.gen(function*() {
    const what = "storing the run's report"
    const dataset = report.dataset
    yield* exec(sql, `CREATE SCHEMA IF NOT EXISTS ${ident(dataset)}`, [], what, dataset)
    yield* exec(sql, createRunsSql(dataset), [], what, dataset)
    // Parameters as text; null ones stay SQL NULL.
    const params: ReadonlyArray<string | null> = [
      report.load_id,
      report.started_at ?? null,
      report.finished_at ?? null,
      report.status,
      JSON.stringify(report)
    ]
    yield* sql.unsafe(insertRunSql(dataset), params).raw.pipe(Effect.mapError(destinationError(what, dataset)))
  })

/** A stored run: its report, or (a document this version cannot read) none. */
export interface StoredRun {
  readonly id: number
  readonly report: RunReport | undefined
}

const decode = Schema.decodeUnknownEither(Schema.parseJson(RunReport))

/** The dataset's newest runs, newest first (none before its first stored run). */
export const readRuns = (
  sql: SqlClient.SqlClient,
  dataset: string,
  limit: number
): Effect.Effect<ReadonlyArray<StoredRun>, DestinationError> =>
  Effect.gen(function*() {
    const what = "reading the runs' reports"
    const present = yield* exists(sql, tableExistsSql, qualified(dataset, SystemTables.runs), what, dataset)
    if (!present) return []
    const rows = yield* query<{ readonly id: string; readonly doc: string }>(
      sql,
      `SELECT id::text AS id, document::text AS doc FROM ${qualified(dataset, SystemTables.runs)} ORDER BY id DESC LIMIT $1`,
      [String(Math.max(0, Math.floor(limit)))],
      what,
      dataset
    )
    return rows.map((r) => ({ id: Number(r.id), report: Either.getOrUndefined(decode(r.doc)) }))
  })
