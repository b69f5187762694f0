/**
 * A run's result as one versioned JSON document: what `rest-connector run --json` prints on
 * stdout, for schedulers and scripts. `RunReport` is an Effect Schema (decode the CLI's
 * output with it); `run-report.schema.json` in the package is its JSON Schema.
 *
 * @since 0.1.0
 */
import * as runReport from "./internal/pipeline/runReport.js"

export {
  /**
   * The API's concurrency in the run: host, most requests in flight, final limit, throttles.
   *
   * @since 0.1.0
   */
  HttpReport,
  /**
   * @since 0.1.0
   */
  type ReportOptions,
  /**
   * One resource of the run: status, rows per table, pages, requests, retries, seconds, error.
   *
   * @since 0.1.0
   */
  ResourceReport,
  /**
   * @since 0.1.0
   */
  ResourceStatus,
  /**
   * The document: `version` 1, status, load id, dataset, database kind, signal, resources.
   *
   * @since 0.1.0
   */
  RunReport,
  /**
   * @since 0.1.0
   */
  type StoppedRun
} from "./internal/pipeline/runReport.js"

/**
 * The report of a finished run, from `Pipeline.run`'s `LoadInfo`.
 *
 * @since 0.1.0
 */
export const fromLoadInfo = runReport.fromLoadInfo

/**
 * The report of a run stopped early (a signal, a failure), from its progress reports.
 *
 * @since 0.1.0
 */
export const fromProgress = runReport.fromProgress

/**
 * The JSON Schema (draft 7) of the document, as shipped in `run-report.schema.json`.
 *
 * @since 0.1.0
 */
export const toJsonSchema: () => object = runReport.toJsonSchema
