/**
 * A config made ready to run (decoded, defaults merged, secrets resolved), and each of its
 * resources as a typed Effect `Stream` of decoded records. Nothing is loaded here: this is
 * the part for Effect programs that want the records themselves (`Pipeline.run` loads them).
 *
 * Records are fetched through the `ApiClient` service in context: provide `ApiClient.layer`
 * once, and every resource of a source shares one OAuth token and one request budget.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { ConfigError } from "./internal/config/configError.js"
import type { Secret } from "./internal/config/secrets.js"
import type { SourceSpec } from "./internal/config/spec.js"
import * as configTypes from "./internal/config/configTypes.js"
import * as source from "./internal/extract/source.js"
import type * as RestApiConfig from "./RestApiConfig.js"

export {
  /**
   * A page that could not be paged on from, or whose records do not fit the resource's
   * Schema; it names the resource, the page, the URL and the record.
   *
   * @since 0.1.0
   */
  ExtractError
} from "./internal/extract/resource.js"

/**
 * A source: its resolved config and its resources as streams.
 *
 * @since 0.1.0
 */
export type RestApiSource<C extends RestApiConfig.Input = RestApiConfig.Input> = source.RestApiSource<C>

/**
 * The names of a config's resources.
 *
 * @since 0.1.0
 */
export type ResourceName<C extends RestApiConfig.Input> = configTypes.ResourceName<C>

/**
 * The record type of a resource: its Schema's type (with the `_<parent>_<field>` columns that
 * `include_from_parent` adds), or a JSON object.
 *
 * @since 0.1.0
 */
export type RecordOf<C extends RestApiConfig.Input, N extends string> = configTypes.RecordOf<C, N>

/**
 * What a resource stream can fail with: a page request (`ApiError`) or a page's content
 * (`ExtractError`).
 *
 * @since 0.1.0
 */
export type SourceError = source.SourceError

/**
 * Checks a config at compile time and keeps its literal types (resource names, Schemas), so
 * `records(name)` is typed. Unknown keys are compile errors (`data_selecter`, `primary_kee`).
 *
 * @since 0.1.0
 */
export const defineConfig: typeof configTypes.defineConfig = configTypes.defineConfig

/**
 * Makes a source from a config dictionary. Config errors and missing secrets (read from the
 * active ConfigProvider) are all reported here, before any request.
 *
 * @since 0.1.0
 */
export const make: <const C extends RestApiConfig.Input>(
  config: C,
  options?: { readonly file?: string; readonly baseUrl?: string }
) => Effect.Effect<RestApiSource<C>, ConfigError> = source.make

/**
 * Makes a source from a config file (`.json`, `.yaml`/`.yml`, `.ts`/`.js`/`.mjs`).
 *
 * @since 0.1.0
 */
export const fromFile: (
  file: string,
  options?: { readonly baseUrl?: string | undefined }
) => Effect.Effect<RestApiSource, ConfigError> = source.fromFile

/**
 * Makes a source from an already resolved config.
 *
 * @since 0.1.0
 */
export const fromSpec: <C extends RestApiConfig.Input = RestApiConfig.Input>(
  spec: SourceSpec<Secret>,
  file?: string
) => RestApiSource<C> = source.fromResolved
