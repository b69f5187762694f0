/**
 * From an OpenAPI document to a connector, as `rest-connector init --openapi` does it: `load`
 * reads a document (Swagger 2.0, OpenAPI 3.0 or 3.1; JSON or YAML; a path or a URL) into one
 * model, and `generate` writes the connector's files: a config module with `defineConfig` and an
 * Effect Schema per resource (or the config as JSON or YAML) and a README of what was detected
 * (resources, parents, paginators, auth, secrets) and what was left to decide.
 *
 * @since 0.1.0
 */
import * as document from "./internal/openapi/document.js"
import * as generator from "./internal/openapi/generate.js"

export type {
  /**
   * @since 0.1.0
   */
  ApiModel,
  /**
   * @since 0.1.0
   */
  JsonSchema,
  /**
   * @since 0.1.0
   */
  Operation,
  /**
   * @since 0.1.0
   */
  SecurityScheme
} from "./internal/openapi/model.js"

export type {
  /**
   * @since 0.1.0
   */
  Generated,
  /**
   * @since 0.1.0
   */
  GeneratedFile,
  /**
   * @since 0.1.0
   */
  GenerateOptions,
  /**
   * @since 0.1.0
   */
  OutputFormat,
  /**
   * @since 0.1.0
   */
  ResourceSummary
} from "./internal/openapi/generate.js"

export {
  /**
   * The document could not be read, or is not Swagger 2.0 / OpenAPI 3.x.
   *
   * @since 0.1.0
   */
  OpenApiError
} from "./internal/openapi/document.js"

/**
 * Reads and bundles a document (external `$ref`s in, internal ones kept) into the model.
 *
 * @since 0.1.0
 */
export const load = document.load

/**
 * The connector's files from a model (pure: nothing is written).
 *
 * @since 0.1.0
 */
export const generate = generator.generate

/**
 * The default connector name from a document's title (`Swagger Petstore` → `swagger_petstore`).
 *
 * @since 0.1.0
 */
export const defaultName = generator.defaultName
