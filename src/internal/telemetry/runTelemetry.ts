/**
 * The pipeline side of the telemetry: the run's span, a span per resource (its pages, HTTP
 * requests and commit under it; a child resource's under its parent's) and the records, rows,
 * commit-time and resource metrics. With telemetry off a run has no `NodeTelemetry` and every
 * helper here hands its effect back as it is.
 */
import { Clock, Effect, Exit, FiberRef, MetricLabel } from "effect"
import type * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
import { currentTelemetry, metrics, SpanNames } from "./telemetry.js"

/**
 * A resource's span and its metric labels, while telemetry is on. The labels array is made once:
 * Effect caches a metric's hook by its labels array, and a new one per update costs a lookup.
 */
export interface NodeTelemetry {
  readonly resource: string
  readonly span: Tracer.Span
  readonly labels: ReadonlyArray<MetricLabel.MetricLabel>
}

/** The run's span around `effect` when telemetry is on (the flag is read once, here). */
export const tracedRun = <A, E, R>(dataset: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime<A, E, R>((fiber) =>
    fiber.getFiberRef(currentTelemetry)
      ? Effect.withSpan(effect, SpanNames.run, { captureStackTrace: false, attributes: { "rest_connector.dataset": dataset } })
      : effect
  )

/** Whether this run is instrumented. */
export const enabled: Effect.Effect<boolean> = Effect.withFiberRuntime((fiber) => Effect.succeed(fiber.getFiberRef(currentTelemetry)))

/**
 * A resource's span, a child of the current span (the run's, or its parent resource's). It ends
 * with `endResource`, or with the scope if the tree is abandoned (a lost connection).
 */
export const startResource = (
  on: boolean,
  resource: { readonly name: string; readonly parent: string | undefined },
  table: string
): Effect.Effect<NodeTelemetry | undefined, never, Scope.Scope> =>
  on
    ? Effect.zipWith(
      Effect.makeSpanScoped(SpanNames.resource, {
        captureStackTrace: false,
        attributes: {
          "rest_connector.resource": resource.name,
          "rest_connector.table": table,
          ...(resource.parent === undefined ? {} : { "rest_connector.parent": resource.parent })
        }
      }),
      // Labels a program put on its metrics (`Effect.tagMetrics`) first, as with `Metric.update`.
      FiberRef.get(FiberRef.currentMetricLabels),
      (span, outer) => ({ resource: resource.name, span, labels: [...outer, MetricLabel.make("resource", resource.name)] })
    )
    : Effect.succeed(undefined)

/** Runs `effect` under the resource's span (its pages, requests and commit become its children). */
export const within = (telemetry: NodeTelemetry | undefined) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  telemetry === undefined ? effect : Effect.withParentSpan(effect, telemetry.span)

/** Counts a page's records (after the incremental filter): plain code, run as the page is counted. */
export const countRecords = (telemetry: NodeTelemetry, records: number): void => {
  metrics.records.unsafeUpdate(records, telemetry.labels)
}

/** The resource's commit under its span, timed into `rest_connector.commit.duration`. */
export const commit = (telemetry: NodeTelemetry | undefined) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  if (telemetry === undefined) return effect
  return Effect.withParentSpan(
    Effect.flatMap(Clock.currentTimeMillis, (started) =>
      Effect.onExit(effect, () =>
        Effect.map(Clock.currentTimeMillis, (now) => metrics.commitDuration.unsafeUpdate((now - started) / 1000, telemetry.labels)))),
    telemetry.span
  )
}

export interface ResourceOutcome {
  /** Whether the resource was loaded (not only fetched for its children's sake). */
  readonly loaded: boolean
  readonly failure: unknown
  readonly rowsPerTable: Readonly<Record<string, number>>
  readonly counters: { readonly rows: number; readonly pages: number; readonly requests: number; readonly retries: number }
}

/** Ends the resource's span with its counts and status; counts its rows per table and its status. */
export const endResource = (telemetry: NodeTelemetry | undefined, outcome: ResourceOutcome): Effect.Effect<void> => {
  if (telemetry === undefined) return Effect.void
  const { span, labels } = telemetry
  const status = outcome.failure === undefined ? "committed" : "failed"
  return Effect.flatMap(Clock.currentTimeNanos, (now) => {
    span.attribute("rest_connector.rows", outcome.counters.rows)
    span.attribute("rest_connector.pages", outcome.counters.pages)
    span.attribute("rest_connector.requests", outcome.counters.requests)
    span.attribute("rest_connector.retries", outcome.counters.retries)
    if (outcome.loaded) span.attribute("rest_connector.status", status)
    span.end(now, outcome.failure === undefined ? Exit.void : Exit.fail(outcome.failure))
    if (!outcome.loaded) return Effect.void
    for (const [table, rows] of Object.entries(outcome.rowsPerTable)) {
      metrics.rows.unsafeUpdate(rows, [...labels, MetricLabel.make("table", table)])
    }
    metrics.resources.unsafeUpdate(1, [...labels, MetricLabel.make("status", status)])
    return Effect.void
  })
}
