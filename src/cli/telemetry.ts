/**
 * `--otel URL`, or OpenTelemetry's standard environment variables (OTEL_EXPORTER_OTLP_ENDPOINT
 * and its kin): the command's traces and metrics go out over OTLP/HTTP. The exporter
 * (`@effect/opentelemetry`, an optional dependency) is loaded only then, so other commands and
 * `--version` start as fast as before.
 */
import { Config, type ConfigError as EffectConfigError, Effect, Layer, Option } from "effect"
import { ConfigError, type ConfigIssue, issue } from "../internal/config/configError.js"

/** Whether any OTLP endpoint is configured: the flag, or one of the endpoint variables. */
const configured = (flag: Option.Option<string>): Effect.Effect<boolean> =>
  Option.isSome(flag)
    ? Effect.succeed(true)
    : Effect.map(
      Config.all(
        ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"].map((name) =>
          Config.option(Config.string(name))
        )
      ),
      (values) => values.some((v) => Option.isSome(v) && v.value.trim() !== "")
    ).pipe(Effect.orElseSucceed(() => false))

const missingExporter = (cause: unknown): ConfigError =>
  new ConfigError({
    issues: [issue(
      "--otel / OTEL_EXPORTER_OTLP_ENDPOINT",
      `sending telemetry needs the package @effect/opentelemetry (0.64): npm install @effect/opentelemetry (${
        cause instanceof Error ? cause.message : String(cause)
      })`
    )]
  })

/** Each variable that is wrong, by its name. */
const issuesOf = (error: EffectConfigError.ConfigError): ReadonlyArray<ConfigIssue> => {
  switch (error._op) {
    case "And":
    case "Or":
      return [...issuesOf(error.left), ...issuesOf(error.right)]
    default:
      return [issue(error.path.join("_"), error.message)]
  }
}

/** `effect` with its traces and metrics sent over OTLP/HTTP when an endpoint is configured; as it is otherwise. */
export const withTelemetry = (flag: Option.Option<string>) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | ConfigError, R> =>
  Effect.flatMap(configured(flag), (on) => {
    if (!on) return effect
    return Effect.flatMap(
      Effect.tryPromise({
        try: () => Promise.all([import("../internal/telemetry/otlp.js"), import("@effect/platform/FetchHttpClient")]),
        catch: missingExporter
      }),
      ([Otlp, FetchHttpClient]) => {
        const telemetry = Otlp.layerConfig({ endpoint: Option.getOrUndefined(flag) }).pipe(
          Layer.provide(FetchHttpClient.layer),
          Layer.mapError((e) => new ConfigError({ issues: issuesOf(e) }))
        )
        return Effect.provide(effect, telemetry)
      }
    )
  })
