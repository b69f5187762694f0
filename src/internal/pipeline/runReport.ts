/**
 * A run's result as one JSON document (`rest-connector run --json`): a versioned shape that
 * schedulers and scripts parse. The Schema is the contract: the TypeScript type and the JSON
 * Schema (`run-report.schema.json`) are derived from it. A change that breaks a reader bumps
 * `version`; new fields may appear without one.
 */
import { JSONSchema, Schema } from "effect"
import type { LoadInfo } from "./loadInfo.js"
import type { ResourceProgress } from "./progress.js"

const described = <A, I>(schema: Schema.Schema<A, I>, description: string): Schema.Schema<A, I> =>
  schema.annotations({ description })
const count = (description: string) => described(Schema.Number, description)
// Added after version 1 shipped, so optional: documents without them stay valid.
const instant = (description: string) => Schema.optional(described(Schema.String, `${description} (ISO 8601, UTC)`))

export const ResourceStatus = described(
  Schema.Literal("committed", "failed", "interrupted", "not started"),
  "committed: its rows, incremental state and _rc_loads row are stored; failed: rolled back (see error); " +
    "interrupted: rolled back because a signal stopped the run; not started: the run ended before it began"
)

export const ResourceReport = Schema.Struct({
  resource: described(Schema.String, "the resource's name in the config"),
  table: described(Schema.String, "its root table (empty if it never started)"),
  status: ResourceStatus,
  tables: described(
    Schema.Record({ key: Schema.String, value: Schema.Number }),
    "rows written per table, the root table and its child tables; empty unless committed"
  ),
  rows: count("records of the resource (rows of its root table)"),
  pages: count("pages fetched"),
  requests: count("HTTP requests sent, retries included"),
  retries: count("requests that were retries"),
  seconds: count("from its first request to its commit"),
  replaced_nuls: count("NUL characters (U+0000, which Postgres text cannot hold) stored as U+FFFD"),
  error: described(Schema.NullOr(Schema.String), "why it failed, secrets redacted; null unless failed"),
  started_at: instant("when its load started"),
  first_page_at: instant("when its first page arrived"),
  fetched_at: instant("when its last page had arrived (its tree's fetching ended)"),
  finished_at: instant("when it committed (status committed) or failed")
}).annotations({ identifier: "ResourceReport" })

export interface ResourceReport extends Schema.Schema.Type<typeof ResourceReport> {}

export const HttpReport = Schema.Struct({
  host: described(Schema.String, "the API's host (client.base_url's)"),
  max_in_flight: count("the most requests that were in flight at once (the adaptive limit lets it grow while the API answers well)"),
  limit: count("the adaptive concurrency limit at the end of the run (at most client.max_concurrency)"),
  throttles: count("responses that pushed back: 429, 503 or a low RateLimit-Remaining; each halved the limit once per round trip")
}).annotations({ identifier: "HttpReport" })

export interface HttpReport extends Schema.Schema.Type<typeof HttpReport> {}

export const RunReport = Schema.Struct({
  version: described(Schema.Literal(1), "the shape's version: a change that breaks a reader bumps it (new fields may appear without)"),
  status: described(
    Schema.Literal("committed", "failed", "interrupted"),
    "committed: every resource committed; failed: a resource failed, or the run did; interrupted: a signal stopped it"
  ),
  load_id: described(Schema.NullOr(Schema.String), "the run's load id, as in _rc_loads; null if it stopped before any resource began"),
  dataset: described(Schema.String, "the Postgres schema loaded into"),
  database: described(Schema.Literal("embedded", "postgres"), "the embedded database (PGlite) or a Postgres server"),
  interrupted: described(Schema.NullOr(Schema.Literal("SIGINT", "SIGTERM")), "the signal that stopped the run, or null"),
  error: described(
    Schema.NullOr(Schema.String),
    "why the run itself failed (e.g. the database could not be reached), secrets redacted; null otherwise"
  ),
  seconds: count("the run's wall time"),
  started_at: instant("when the run started"),
  finished_at: instant("when the run ended"),
  resources: described(Schema.Array(ResourceReport), "the resources the run loaded, in the config's order"),
  // Added after version 1 shipped, so optional.
  http: Schema.optional(described(HttpReport, "the API's concurrency in this run; absent when the run did not finish"))
}).annotations({
  identifier: "RunReport",
  title: "rest-connector run --json",
  description: "The result of one run, printed on stdout by `rest-connector run --json`."
})

export interface RunReport extends Schema.Schema.Type<typeof RunReport> {}

export interface ReportOptions {
  readonly database: "embedded" | "postgres"
  /** Removes secrets from error messages. */
  readonly redact: (text: string) => string
  /** The run's wall time. */
  readonly seconds: number
  /** When the run started and ended (epoch ms), for `started_at`/`finished_at`. */
  readonly startedMillis?: number | undefined
  readonly finishedMillis?: number | undefined
}

const iso = (millis: number | undefined): string | undefined => (millis === undefined ? undefined : new Date(millis).toISOString())

/** The timestamps present, as ISO strings (absent ones left out, so JSON has no `null`s for them). */
const instants = (fields: Record<string, number | undefined>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [key, millis] of Object.entries(fields)) {
    const text = iso(millis)
    if (text !== undefined) out[key] = text
  }
  return out
}

const runTimes = (options: ReportOptions) => instants({ started_at: options.startedMillis, finished_at: options.finishedMillis })

const round = (seconds: number): number => Math.round(seconds * 1000) / 1000

/** The report of a run that finished (every resource committed or failed). */
export const fromLoadInfo = (info: LoadInfo, options: ReportOptions): RunReport => ({
  version: 1,
  status: info.failed ? "failed" : "committed",
  load_id: info.loadId,
  dataset: info.dataset,
  database: options.database,
  interrupted: null,
  error: null,
  seconds: round(options.seconds),
  ...runTimes(options),
  resources: info.resources.map((r) => ({
    resource: r.resource,
    table: r.table,
    status: r.status,
    tables: { ...r.rowsPerTable },
    rows: r.rows,
    pages: r.pages,
    requests: r.requests,
    retries: r.retries,
    seconds: round(r.seconds),
    replaced_nuls: r.replacedNuls,
    error: r.error === undefined ? null : options.redact(r.error.message),
    ...instants({
      started_at: r.times?.startedMillis,
      first_page_at: r.times?.firstPageMillis,
      fetched_at: r.times?.fetchedMillis,
      finished_at: r.times?.finishedMillis
    })
  })),
  ...(info.http === undefined ? {} : {
    http: { host: info.http.host, max_in_flight: info.http.maxInFlight, limit: info.http.limit, throttles: info.http.throttles }
  })
})

export interface StoppedRun {
  readonly dataset: string
  /** The resources the run was to load, in order. */
  readonly resources: ReadonlyArray<string>
  /** Each resource's latest progress report. */
  readonly seen: ReadonlyMap<string, ResourceProgress>
  /** The signal that stopped it, if one did. */
  readonly signal: "SIGINT" | "SIGTERM" | undefined
  /** Why it failed, if it did. */
  readonly error: string | undefined
}

const statusOf = (p: ResourceProgress, interrupted: boolean): ResourceReport["status"] =>
  p.state === "done" ? "committed" : p.state === "failed" || !interrupted ? "failed" : "interrupted"

/**
 * The report of a run that ended early, from its progress: the resources that committed
 * before it stopped, the ones that failed or rolled back, and the ones never started.
 */
export const fromProgress = (run: StoppedRun, options: ReportOptions): RunReport => {
  let loadId: string | null = null
  const resources = run.resources.map((name): ResourceReport => {
    const p = run.seen.get(name)
    if (p === undefined) {
      return {
        resource: name,
        table: "",
        status: "not started",
        tables: {},
        rows: 0,
        pages: 0,
        requests: 0,
        retries: 0,
        seconds: 0,
        replaced_nuls: 0,
        error: null
      }
    }
    loadId ??= p.loadId ?? null
    const status = statusOf(p, run.signal !== undefined)
    return {
      resource: name,
      table: p.table,
      status,
      tables: status === "committed" ? { ...(p.rowsPerTable ?? { [p.table]: p.rows }) } : {},
      rows: p.rows,
      pages: p.pages,
      requests: p.requests,
      retries: p.retries,
      seconds: round(p.seconds),
      replaced_nuls: 0,
      error: status === "failed" && p.error !== undefined ? options.redact(p.error) : null,
      ...instants({
        started_at: p.startedMillis,
        first_page_at: p.firstPageMillis,
        fetched_at: p.fetchedMillis,
        finished_at: p.startedMillis !== undefined && (p.state === "done" || p.state === "failed") ? p.startedMillis + p.seconds * 1000 : undefined
      })
    }
  })
  return {
    version: 1,
    status: run.signal === undefined ? "failed" : "interrupted",
    load_id: loadId,
    dataset: run.dataset,
    database: options.database,
    interrupted: run.signal ?? null,
    error: run.error === undefined ? null : options.redact(run.error),
    seconds: round(options.seconds),
    ...runTimes(options),
    resources
  }
}

/** The JSON Schema of the document (draft 7); other fields are allowed, as later versions may add some. */
export const toJsonSchema = (): object => {
  const definitions: Record<string, JSONSchema.JsonSchema7> = {}
  const root = JSONSchema.fromAST(RunReport.ast, { definitions, target: "jsonSchema7", additionalPropertiesStrategy: "allow" })
  return { $schema: "http://json-schema.org/draft-07/schema#", $defs: definitions, ...root }
}
