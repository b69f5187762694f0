/**
 * What `run` (and `demo`) print at the end: the summary table, or with `--json` one JSON
 * document (RunReport) and nothing else on stdout; the same when a signal stops the run or
 * the run itself fails, with what had committed by then.
 */
import { Clock, Console, Effect } from "effect"
import type { LoadInfo } from "../internal/pipeline/loadInfo.js"
import type { ResourceProgress } from "../internal/pipeline/progress.js"
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

const reportOptions = (out: RunOutput) =>
  Effect.map(Clock.currentTimeMillis, (now) => ({
    database: out.database,
    redact: out.redact,
    seconds: (now - out.startedMillis) / 1000
  }))

/** A run that finished: the summary table (or the document), then each failure on stderr. */
export const finished = (out: RunOutput, info: LoadInfo): Effect.Effect<void> =>
  Effect.gen(function*() {
    if (out.json) yield* printJson(RunReport.fromLoadInfo(info, yield* reportOptions(out)))
    else if (out.summary) yield* Console.log(summary(info))
    for (const r of info.resources) {
      if (r.status === "failed" && r.error !== undefined) yield* Effect.logError(out.redact(r.error.message)).pipe(Effect.annotateLogs({ event: "failed", resource: r.resource }))
    }
  })

/** A run a signal stopped: what committed before it, what rolled back, what never started. */
export const interrupted = (out: RunOutput): Effect.Effect<void> =>
  out.json
    ? Effect.flatMap(reportOptions(out), (options) =>
      printJson(RunReport.fromProgress({ ...out, signal: receivedSignal() ?? "SIGINT", error: undefined }, options)))
    : Console.log(interruptedSummary(out.dataset, out.resources, out.seen))

/** A run that failed as a whole (the database went away): with `--json`, the document saying so. */
export const failed = (out: RunOutput, error: unknown): Effect.Effect<void> =>
  out.json
    ? Effect.flatMap(reportOptions(out), (options) =>
      printJson(RunReport.fromProgress({
        ...out,
        signal: undefined,
        error: error instanceof Error ? error.message : String(error)
      }, options)))
    : Effect.void
