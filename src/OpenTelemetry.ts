/**
 * Runs' traces and metrics (see `Telemetry`) sent over OTLP/HTTP to an OpenTelemetry
 * collector or backend by `@effect/opentelemetry`'s exporters, no OpenTelemetry SDK needed.
 * This module needs the optional peer dependency `@effect/opentelemetry` (0.64 or later 0.x):
 * `npm install @effect/opentelemetry`. The rest of the library never loads it.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type { ConfigError, Effect, Layer } from "effect"
import * as internal from "./internal/telemetry/otlp.js"

export type {
  /**
   * @since 0.1.0
   */
  OtlpOptions,
  /**
   * @since 0.1.0
   */
  Protocol
} from "./internal/telemetry/otlp.js"

/**
 * Sends the traces and metrics of what runs under it to an OTLP/HTTP endpoint over the
 * `HttpClient` in context, and turns the instrumentation on. Spans go out every 5 s, metrics
 * every 60 s, and both once more when the layer closes. Without an endpoint it does nothing.
 *
 * @since 0.1.0
 */
export const layer: (options: internal.OtlpOptions) => Layer.Layer<never, never, HttpClient.HttpClient> = internal.layer

/**
 * `layer` configured from OpenTelemetry's standard environment variables (read through
 * Effect's ConfigProvider): `OTEL_EXPORTER_OTLP_ENDPOINT` (and `_TRACES_ENDPOINT`,
 * `_METRICS_ENDPOINT`), `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`, the default, or
 * `http/json`), `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
 * `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` (`none`), `OTEL_SDK_DISABLED`,
 * `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_METRIC_EXPORT_INTERVAL`. `overrides` win over them; with no
 * endpoint at all the layer does nothing.
 *
 * @since 0.1.0
 */
export const layerConfig: (
  overrides?: internal.OtlpOptions
) => Layer.Layer<never, ConfigError.ConfigError, HttpClient.HttpClient> = internal.layerConfig

/**
 * The options `layerConfig` reads from the environment.
 *
 * @since 0.1.0
 */
export const optionsFromConfig: (
  overrides?: internal.OtlpOptions
) => Effect.Effect<internal.OtlpOptions, ConfigError.ConfigError> = internal.optionsFromConfig
