/**
 * What `run` (and `demo`) print at the end: the summary table, or with `--json` one JSON
 * document (RunReport) and nothing else on stdout; the same when a signal stops the run or
 * the run itself fails, with what had committed by then. The same document is kept in the
 * dataset's `_rc_runs` (`keep`), for the dashboard's history.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Cause, Clock, Console, Effect } from "effect"
import type { LoadInfo } from "../internal/pipeline/loadInfo.js"
import type { ResourceProgress } from "../internal/pipeline/progress.js"
import { storeRun } from "../internal/pipeline/runDocuments.js"
import * as RunReport from "../internal/pipeline/runReport.js"
import { interruptedSummary, summary } from "./report.js"
import { receivedSignal } from "./signals.js"

export interface RunOutput {
  /** `--json`: one RunReport document on stdout instead of the summary table. */
  readonly json: boolean
  /** Print the summary table (not with `--quiet`). */
  readonly summary: boolean
  readonly dataset: string
  readonly database: "embedded" | "postgres"
  /** The resources the run is to load, in order. */
  readonly resources: ReadonlyArray<string>
  /** Each resource's latest progress, kept by the progress reporter. */
  readonly seen: ReadonlyMap<string, ResourceProgress>
  readonly startedMillis: number
  /** Removes secrets from what is printed. */
  readonly redact: (text: string) => string
}

const printJson = (report: RunReport.RunReport) => Console.log(JSON.stringify(report, null, 2))

const reportOptions = (out: RunOutput): Effect.Effect<RunReport.ReportOptions> =>
  Effect.map(Clock.currentTimeMillis, (now) => ({
    database: out.database,
    redact: out.redact,
    seconds: (now - out.startedMillis) / 1000,
    startedMillis: out.startedMillis,
    finishedMillis: now
  }))

/** The report of a run that finished. */
export const finishedReport = (out: RunOutput, info: LoadInfo): Effect.Effect<RunReport.RunReport> =>
  Effect.map(reportOptions(out), (options) => RunReport.fromLoadInfo(info, options))

/** A run that finished: the summary table (or the document), then each failure on stderr. */
export const finished = (out: RunOutput, info: LoadInfo, report: RunReport.RunReport): Effect.Effect<void> =>
  Effect.gen(function*() {
    if (out.json) yield* printJson(report)
    else if (out.summary) yield* Console.log(summary(info))
    for (const r of info.resources) {
      if (r.status === "failed" && r.error !== undefined) yield* Effect.logError(out.redact(r.error.message)).pipe(Effect.annotateLogs({ event: "failed", resource: r.resource }))
    }
  })

/** A run a signal stopped: what committed before it, what rolled back, what never started. */
export const interrupted = (out: RunOutput): Effect.Effect<RunReport.RunReport> =>
  Effect.flatMap(reportOptions(out), (options) => {
    const report = RunReport.fromProgress({ ...out, signal: receivedSignal() ?? "SIGINT", error: undefined }, options)
    return Effect.as(out.json ? printJson(report) : Console.log(interruptedSummary(out.dataset, out.resources, out.seen)), report)
  })

/** A run that failed as a whole (the database went away): with `--json`, the document saying so. */
export const failed = (out: RunOutput, error: unknown): Effect.Effect<RunReport.RunReport> =>
  Effect.flatMap(reportOptions(out), (options) => {
    const report = RunReport.fromProgress({
      ...out,
      signal: undefined,
      error: error instanceof Error ? error.message : String(error)
    }, options)
    return Effect.as(out.json ? printJson(report) : Effect.void, report)
  })

/**
 * Keeps the report in the dataset's `_rc_runs`. The loads have committed by then: a report that
 * cannot be stored (the database went away) is a warning, never a failed run.
 */
export const keep = (out: RunOutput, report: RunReport.RunReport): Effect.Effect<void, never, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => storeRun(sql, report)).pipe(
    // Bounded: an interrupted run must not hang on a database that went away.
    Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("timed out") }),
    Effect.catchAllCause((cause) =>
      Effect.logWarning(`the run's report was not kept in ${out.dataset}._rc_runs: ${out.redact(errorText(cause))}`)
    )
  )

const errorText = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  return error instanceof Error ? error.message : String(error)
}
