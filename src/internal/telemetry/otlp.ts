/**
 * Runs' traces and metrics out over OTLP/HTTP, with `@effect/opentelemetry`'s own exporters
 * (no OpenTelemetry SDK): spans are sent in batches every few seconds, metrics (a snapshot of
 * Effect's registry) every minute, and both once more when the layer's scope closes, so a
 * short run loses nothing. The only module that imports `@effect/opentelemetry`, an optional
 * peer dependency.
 */
import * as OtlpMetrics from "@effect/opentelemetry/OtlpMetrics"
import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as OtlpTracer from "@effect/opentelemetry/OtlpTracer"
import type * as HttpClient from "@effect/platform/HttpClient"
import { Config, type ConfigError, Duration, Effect, Layer, Option } from "effect"
import * as Telemetry from "./telemetry.js"
import { withoutTrailingSlashes } from "../trailingSlashes.js"

export type Protocol = "http/protobuf" | "http/json"

export interface OtlpOptions {
  /** The OTLP/HTTP base URL (e.g. `http://localhost:4318`): traces go to `/v1/traces` under it, metrics to `/v1/metrics`. */
  readonly endpoint?: string | undefined
  /** Where traces go, as a full URL (instead of `endpoint` + `/v1/traces`). */
  readonly tracesEndpoint?: string | undefined
  /** Where metrics go, as a full URL (instead of `endpoint` + `/v1/metrics`). */
  readonly metricsEndpoint?: string | undefined
  /** Default `http/protobuf`, as OpenTelemetry's SDKs. */
  readonly protocol?: Protocol | undefined
  /** Sent with every export (an API key for a hosted backend, say). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Default `rest-connector`. */
  readonly serviceName?: string | undefined
  readonly serviceVersion?: string | undefined
  /** More resource attributes (`deployment.environment`, ...). */
  readonly resourceAttributes?: Readonly<Record<string, string>> | undefined
  /** Send traces (default true). */
  readonly traces?: boolean | undefined
  /** Send metrics (default true). */
  readonly metrics?: boolean | undefined
  /** Between span exports (default 5 s). */
  readonly tracesExportInterval?: Duration.DurationInput | undefined
  /** Between metric exports (default 60 s). */
  readonly metricsExportInterval?: Duration.DurationInput | undefined
  /** How long the last export may take when the layer closes (default 3 s). */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
}

/** `base` + `/v1/<signal>`, as OTEL_EXPORTER_OTLP_ENDPOINT is read: the signal's path appended to whatever path it has. */
export const signalUrl = (base: string, signal: "traces" | "metrics"): string => `${withoutTrailingSlashes(base)}/v1/${signal}`

/**
 * Traces and metrics of what runs under it to an OTLP/HTTP endpoint, the instrumentation on
 * (see `Telemetry.layer`). Without any endpoint it sends nothing and turns nothing on.
 */
export const layer = (options: OtlpOptions): Layer.Layer<never, never, HttpClient.HttpClient> => {
  const tracesUrl = options.tracesEndpoint ?? (options.endpoint === undefined ? undefined : signalUrl(options.endpoint, "traces"))
  const metricsUrl = options.metricsEndpoint ?? (options.endpoint === undefined ? undefined : signalUrl(options.endpoint, "metrics"))
  const traces = options.traces !== false && tracesUrl !== undefined
  const metrics = options.metrics !== false && metricsUrl !== undefined
  if (!traces && !metrics) return Layer.empty
  const resource = {
    serviceName: options.serviceName ?? "rest-connector",
    serviceVersion: options.serviceVersion,
    attributes: { ...options.resourceAttributes }
  }
  const shutdownTimeout = options.shutdownTimeout ?? Duration.seconds(3)
  const exporters = Layer.mergeAll(
    traces && tracesUrl !== undefined
      ? OtlpTracer.layer({
        url: tracesUrl,
        resource,
        headers: options.headers,
        exportInterval: options.tracesExportInterval ?? Duration.seconds(5),
        shutdownTimeout
      })
      : Layer.empty,
    metrics && metricsUrl !== undefined
      ? OtlpMetrics.layer({
        url: metricsUrl,
        resource,
        headers: options.headers,
        exportInterval: options.metricsExportInterval ?? Duration.seconds(60),
        shutdownTimeout
      })
      : Layer.empty
  ).pipe(Layer.provide(options.protocol === "http/json" ? OtlpSerialization.layerJson : OtlpSerialization.layerProtobuf))
  // The exporters are built first, so the flag is set in the context the program runs in.
  return Layer.merge(exporters, Telemetry.layer)
}

/** `k1=v1,k2=v2`, values percent-encoded (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES). */
export const parseList = (text: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const item of text.split(",")) {
    const at = item.indexOf("=")
    if (at <= 0) continue
    const key = item.slice(0, at).trim()
    const value = item.slice(at + 1).trim()
    try {
      out[key] = decodeURIComponent(value)
    } catch {
      out[key] = value
    }
  }
  return out
}

const optional = (name: string) => Config.option(Config.string(name)).pipe(Config.map(Option.filter((s) => s.trim() !== "")))

/** The exporter named by OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER: `otlp` (the default) or `none`. */
const exporter = (name: string) => Config.literal("otlp", "none")(name).pipe(Config.withDefault("otlp" as const))

const millis = (name: string) => Config.option(Config.integer(name)).pipe(Config.map(Option.map(Duration.millis)))

/**
 * The options from OpenTelemetry's standard environment variables (through Effect's
 * ConfigProvider): OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
 * OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL (`http/protobuf` or
 * `http/json`), OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER (`none` turns one off), OTEL_SDK_DISABLED,
 * OTEL_BSP_SCHEDULE_DELAY and OTEL_METRIC_EXPORT_INTERVAL (milliseconds). `overrides` win.
 */
export const optionsFromConfig = (overrides: OtlpOptions = {}): Effect.Effect<OtlpOptions, ConfigError.ConfigError> =>
  Effect.gen(function*() {
    const disabled = yield* Config.boolean("OTEL_SDK_DISABLED").pipe(Config.withDefault(false))
    if (disabled) return { ...overrides, traces: false, metrics: false }
    const attributes = Option.map(yield* optional("OTEL_RESOURCE_ATTRIBUTES"), parseList)
    const attrs = Option.getOrElse(attributes, () => ({} as Record<string, string>))
    const headers = Option.map(yield* optional("OTEL_EXPORTER_OTLP_HEADERS"), parseList)
    const protocol = yield* Config.option(Config.literal("http/protobuf", "http/json")("OTEL_EXPORTER_OTLP_PROTOCOL"))
    const { "service.name": attributeName, "service.version": attributeVersion, ...rest } = attrs
    const o = overrides
    return {
      endpoint: o.endpoint ?? Option.getOrUndefined(yield* optional("OTEL_EXPORTER_OTLP_ENDPOINT")),
      tracesEndpoint: o.tracesEndpoint ?? Option.getOrUndefined(yield* optional("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")),
      metricsEndpoint: o.metricsEndpoint ?? Option.getOrUndefined(yield* optional("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")),
      protocol: o.protocol ?? Option.getOrUndefined(protocol),
      headers: o.headers ?? Option.getOrUndefined(headers),
      serviceName: o.serviceName ?? Option.getOrUndefined(yield* optional("OTEL_SERVICE_NAME")) ?? attributeName,
      serviceVersion: o.serviceVersion ?? attributeVersion,
      resourceAttributes: { ...rest, ...o.resourceAttributes },
      traces: o.traces ?? (yield* exporter("OTEL_TRACES_EXPORTER")) === "otlp",
      metrics: o.metrics ?? (yield* exporter("OTEL_METRICS_EXPORTER")) === "otlp",
      tracesExportInterval: o.tracesExportInterval ?? Option.getOrUndefined(yield* millis("OTEL_BSP_SCHEDULE_DELAY")),
      metricsExportInterval: o.metricsExportInterval ?? Option.getOrUndefined(yield* millis("OTEL_METRIC_EXPORT_INTERVAL")),
      shutdownTimeout: o.shutdownTimeout
    }
  })

/** `layer` with the options of OpenTelemetry's environment variables (see `optionsFromConfig`). */
export const layerConfig = (overrides: OtlpOptions = {}): Layer.Layer<never, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.unwrapEffect(Effect.map(optionsFromConfig(overrides), layer))
