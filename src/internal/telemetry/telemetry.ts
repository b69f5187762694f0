/**
 * Telemetry of runs: spans (run → resource → page → HTTP request, and each resource's commit)
 * and metrics (Effect's `Metric`, so any exporter of Effect metrics sends them). Off unless a
 * layer turns it on (`Telemetry.layer`, or the OTLP layer in `OpenTelemetry`): the per-page
 * and per-request work is then skipped, not merely sent nowhere (a span per page costs about
 * as much as a small page's processing).
 */
import { Effect, FiberRef, Layer, Metric, MetricBoundaries } from "effect"
import { globalValue } from "effect/GlobalValue"

/** Whether this fiber's runs make spans and update metrics (one flag, read once per run or request). */
export const currentTelemetry: FiberRef.FiberRef<boolean> = globalValue(
  Symbol.for("effect-rest-connector/Telemetry/current"),
  () => FiberRef.unsafeMake(false)
)

/** Turns the instrumentation on for what runs with this layer (spans go to the tracer in context). */
export const layer: Layer.Layer<never> = Layer.locallyScoped(currentTelemetry, true)

/** Runs `effect` with the instrumentation on. */
export const withTelemetry = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locally(effect, currentTelemetry, true)

/** Span names, as an exporter shows them. HTTP attempts are named by their method (OpenTelemetry's HTTP client convention). */
export const SpanNames = {
  run: "Pipeline.run",
  resource: "Pipeline.resource",
  page: "ApiClient.page",
  commit: "Destination.commit"
} as const

/** Seconds, from 1 ms to ~16 s: a page fetch, retries included. */
const pageBoundaries = MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 15 })
/** Seconds, from 10 ms to ~80 s: a resource's commit (merge, swap, state). */
const commitBoundaries = MetricBoundaries.exponential({ start: 0.01, factor: 2, count: 14 })

/**
 * The metrics, tagged `resource` (and `table`, `status` where said). Counters are cumulative
 * for the process; histograms are in seconds.
 */
export const metrics = {
  /** Records fetched (after the incremental filter), per resource. */
  records: Metric.counter("rest_connector.records", { description: "records fetched", incremental: true }),
  /** Rows committed, per resource and table (root and child tables). */
  rows: Metric.counter("rest_connector.rows", { description: "rows committed per table", incremental: true }),
  /** Pages fetched, per resource. */
  pages: Metric.counter("rest_connector.pages", { description: "pages fetched", incremental: true }),
  /** HTTP requests (each attempt), per resource and status (the status code, or `error` when no response came). */
  requests: Metric.counter("rest_connector.http.requests", { description: "HTTP requests by status", incremental: true }),
  /** Retried requests, per resource. */
  retries: Metric.counter("rest_connector.http.retries", { description: "HTTP requests retried", incremental: true }),
  /** Response body bytes received, per resource. */
  bytes: Metric.counter("rest_connector.http.response.bytes", { description: "response body bytes", incremental: true }),
  /** Time to fetch a page (retries and their waits included), per resource. */
  pageDuration: Metric.histogram("rest_connector.page.duration", pageBoundaries, "seconds to fetch a page"),
  /** Time a resource's commit took, per resource. */
  commitDuration: Metric.histogram("rest_connector.commit.duration", commitBoundaries, "seconds to commit a resource"),
  /** Resources loaded, per resource and status (`committed` or `failed`). */
  resources: Metric.counter("rest_connector.resources", { description: "resource loads by status", incremental: true })
} as const
