/**
 * The decoded config as a service: a dlt dictionary (or a config file) decoded, defaults
 * merged, paginators built and secrets resolved, once, when the layer is built.
 */
import { Config, Context, Effect, Either, Layer, Option } from "effect"
import { ConfigError } from "./configError.js"
import { loadConfigFile } from "./loadConfig.js"
import { applyParams } from "./params.js"
import { plainFieldVariables } from "./dltCredentials.js"
import { dltSourceName, resolveConfig } from "./resolve.js"
import type { SourceSpec } from "./spec.js"
import { resolveSecrets, type Secret } from "./secrets.js"

export interface ConnectorConfigOptions {
  /** The file the config came from, for error messages. */
  readonly file?: string | undefined
  /** Replaces `client.base_url` (a staging server, a local mock, the demo API). */
  readonly baseUrl?: string | undefined
  /** Values for `{params.NAME}` in the config's strings (a tenant's account id, region...). */
  readonly params?: Readonly<Record<string, string>> | undefined
}

export class ConnectorConfig extends Context.Tag("effect-rest-connector/ConnectorConfig")<
  ConnectorConfig,
  SourceSpec<Secret>
>() {}

/** Decodes and resolves a config dictionary; secrets come from the active ConfigProvider. */
export const resolve = (input: unknown, options: ConnectorConfigOptions = {}): Effect.Effect<SourceSpec<Secret>, ConfigError> =>
  Effect.gen(function*() {
    const filled = applyParams(input, options.params ?? {})
    if (Either.isLeft(filled)) return yield* new ConfigError({ file: options.file, issues: filled.left })
    // dlt's plain credential fields come from the same ConfigProvider as the secrets.
    const variables = new Map<string, string>()
    for (const name of plainFieldVariables(dltSourceName(options.file))) {
      const value = yield* Config.option(Config.string(name)).pipe(Effect.orElseSucceed(() => Option.none<string>()))
      if (Option.isSome(value)) variables.set(name, value.value)
    }
    const resolved = yield* Either.match(resolveConfig(filled.right, options.file, (name) => variables.get(name)), {
      onLeft: Effect.fail,
      onRight: Effect.succeed
    })
    const withBase = options.baseUrl === undefined
      ? resolved
      : { ...resolved, client: { ...resolved.client, baseUrl: options.baseUrl } }
    return yield* resolveSecrets(withBase, options.file)
  })

/** Reads, decodes and resolves a config file (.json, .yaml/.yml, .ts/.js/.mjs). */
export const resolveFile = (file: string, options: Omit<ConnectorConfigOptions, "file"> = {}) =>
  Effect.flatMap(loadConfigFile(file), (input) => resolve(input, { ...options, file }))

export const layer = (input: unknown, options?: ConnectorConfigOptions): Layer.Layer<ConnectorConfig, ConfigError> =>
  Layer.effect(ConnectorConfig, resolve(input, options))

export const layerFile = (
  file: string,
  options?: Omit<ConnectorConfigOptions, "file">
): Layer.Layer<ConnectorConfig, ConfigError> => Layer.effect(ConnectorConfig, resolveFile(file, options))
