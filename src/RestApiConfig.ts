/**
 * The config contract: dlt's `rest_api` dictionary (client, auth, resource_defaults,
 * resources, endpoint, paginator, data_selector, ...) with dlt's key names, as an Effect
 * Schema; config files; and resolution into the specs a run is built from. Every config error
 * and every missing secret is reported here, with its path, before any request is sent.
 *
 * @since 0.1.0
 */
import type { Context, Effect, Layer } from "effect"
import * as connectorConfig from "./internal/config/connectorConfig.js"
import * as configError from "./internal/config/configError.js"
import * as jsonSchema from "./internal/config/jsonSchema.js"
import * as loadConfig from "./internal/config/loadConfig.js"
import * as schema from "./internal/config/schema.js"
import type { Secret } from "./internal/config/secrets.js"
import type * as spec from "./internal/config/spec.js"

/**
 * The config as an Effect Schema: decoding checks shapes and rejects unknown keys.
 *
 * @since 0.1.0
 */
export const RestApiConfig: typeof schema.RestApiConfig = schema.RestApiConfig

/**
 * A decoded config.
 *
 * @since 0.1.0
 */
export type RestApiConfig = schema.RestApiConfig

/**
 * A config as written (JSON, YAML or a TypeScript object): what `defineConfig` takes.
 *
 * @since 0.1.0
 */
export type Input = schema.RestApiConfigInput

export {
  /**
   * A config that is not valid: every problem, each with its path in the config
   * (`resources[1].endpoint.paginator.type`), and the file it came from.
   *
   * @since 0.1.0
   */
  ConfigError,
  /**
   * One problem of a config: where (`path`) and what.
   *
   * @since 0.1.0
   */
  type ConfigIssue
} from "./internal/config/configError.js"

/**
 * A resolved config: plain data that the HTTP client, the paginators, the resource streams
 * and the loader are built from. Secrets are `Redacted`.
 *
 * @since 0.1.0
 */
export type SourceSpec = spec.SourceSpec<Secret>

/**
 * One resolved resource.
 *
 * @since 0.1.0
 */
export type ResourceSpec = spec.ResourceSpec<Secret>

/**
 * @since 0.1.0
 */
export interface ResolveOptions {
  /** The file the config came from, for error messages. */
  readonly file?: string | undefined
  /** Replaces `client.base_url` (a staging server, a local mock). */
  readonly baseUrl?: string | undefined
}

/**
 * Reads a config file: `.json`, `.yaml`/`.yml`, or a `.ts`/`.js`/`.mjs` module whose default
 * export is the config (TypeScript modules load through tsx when plain Node cannot).
 *
 * @since 0.1.0
 */
export const load: (file: string) => Effect.Effect<unknown, configError.ConfigError> = loadConfig.loadConfigFile

/**
 * Decodes a config and resolves it; secrets come from the active ConfigProvider.
 *
 * @since 0.1.0
 */
export const resolve: (input: unknown, options?: ResolveOptions) => Effect.Effect<SourceSpec, configError.ConfigError> =
  connectorConfig.resolve

/**
 * Reads, decodes and resolves a config file.
 *
 * @since 0.1.0
 */
export const resolveFile: (
  file: string,
  options?: Omit<ResolveOptions, "file">
) => Effect.Effect<SourceSpec, configError.ConfigError> = connectorConfig.resolveFile

/**
 * The resolved config as a service, for programs that build their layers from one.
 *
 * @since 0.1.0
 */
export const ConnectorConfig: Context.Tag<connectorConfig.ConnectorConfig, SourceSpec> = connectorConfig.ConnectorConfig

/**
 * @since 0.1.0
 */
export const layer: (input: unknown, options?: ResolveOptions) => Layer.Layer<connectorConfig.ConnectorConfig, configError.ConfigError> =
  connectorConfig.layer

/**
 * @since 0.1.0
 */
export const layerFile: (
  file: string,
  options?: Omit<ResolveOptions, "file">
) => Layer.Layer<connectorConfig.ConnectorConfig, configError.ConfigError> = connectorConfig.layerFile

/**
 * The JSON Schema of the config (draft-07), generated from `RestApiConfig`: editors use it to
 * complete and check JSON and YAML configs. The package ships it as `rest-api-config.schema.json`.
 *
 * @since 0.1.0
 */
export const toJsonSchema: () => object = jsonSchema.make
