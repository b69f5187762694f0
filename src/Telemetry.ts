/**
 * Traces and metrics of runs, for Effect apps that have their own tracer and metric exporter
 * (an OpenTelemetry `NodeSdk`, `@effect/opentelemetry`'s OTLP layers, ...): with `layer`
 * provided, `Pipeline.run` makes a span for the run, for each resource (a child resource's
 * under its parent's), for each page and for each HTTP attempt, its commit under its resource,
 * and updates the metrics below (Effect's `Metric`, so whatever exports Effect's metrics sends
 * them). Without it none of the per-page or per-request work is done. To send both over
 * OTLP/HTTP without an SDK, see `OpenTelemetry`. Nothing here imports an exporter.
 *
 * @since 0.1.0
 */
import type { Effect, FiberRef, Layer } from "effect"
import * as internal from "./internal/telemetry/telemetry.js"

/**
 * Turns the instrumentation on for what runs with it; the spans go to the tracer in context.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<never> = internal.layer

/**
 * Runs an effect with the instrumentation on (as `layer`, for one effect).
 *
 * @since 0.1.0
 */
export const withTelemetry: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R> = internal.withTelemetry

/**
 * Whether the instrumentation is on in this fiber.
 *
 * @since 0.1.0
 */
export const currentTelemetry: FiberRef.FiberRef<boolean> = internal.currentTelemetry

/**
 * The span names: `Pipeline.run`, `Pipeline.resource`, `ApiClient.page`, `Destination.commit`;
 * an HTTP attempt's span is named by its method (`GET`, `POST`), kind `client`.
 *
 * @since 0.1.0
 */
export const SpanNames: typeof internal.SpanNames = internal.SpanNames

/**
 * The metrics: `rest_connector.records`, `.rows` (per `table`), `.pages`, `.http.requests`
 * (per `status`), `.http.retries`, `.http.response.bytes`, `.page.duration` and
 * `.commit.duration` (histograms, seconds) and `.resources` (per `status`), all tagged
 * `resource`. Read them with `Metric.value` (tagged the same way) or export Effect's registry.
 *
 * @since 0.1.0
 */
export const metrics: typeof internal.metrics = internal.metrics
