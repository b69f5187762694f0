/**
 * `Pipeline.run`: extract → normalize → load. Every selected resource of a source is paged
 * through, its records normalized into tables (nested objects flattened, lists into child
 * tables) and staged; each resource then commits its rows, its incremental state and its
 * `_rc_loads` row in one transaction. A failing resource does not undo the ones that
 * committed, and the `LoadInfo` says which failed and why. Two runs loading one resource of a
 * dataset take turns; a database connection lost before a resource tree committed loads the
 * tree again (a few times, with a warning).
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { ApiClient } from "./internal/http/apiClient.js"
import type { Destination, DestinationError } from "./internal/load/destination.js"
import * as pipeline from "./internal/pipeline/pipeline.js"
import type { RestApiSource } from "./RestApiSource.js"

export {
  /**
   * A record that could not be normalized (a schema contract said no, a value cannot be stored).
   *
   * @since 0.1.0
   */
  NormalizeError
} from "./internal/normalize/normalizer.js"
export {
  /**
   * What the API's adaptive concurrency limit did in a run: the most requests in flight, the
   * limit at the end, the throttles met (`LoadInfo.http`).
   *
   * @since 0.1.0
   */
  type HttpInfo,
  /**
   * @since 0.1.0
   */
  type LoadInfo,
  /**
   * A child resource whose parent failed: its data would be incomplete, so it is not loaded.
   *
   * @since 0.1.0
   */
  ParentFailed,
  /**
   * @since 0.1.0
   */
  type ResourceError,
  /**
   * @since 0.1.0
   */
  type ResourceLoadInfo,
  /**
   * @since 0.1.0
   */
  type RunOptions,
  /**
   * `resources` named a resource the config does not have.
   *
   * @since 0.1.0
   */
  UnknownResourceError
} from "./internal/pipeline/pipeline.js"

/**
 * Loads every selected resource of a source into the dataset (a Postgres schema) through the
 * `Destination` in context, fetching over the `ApiClient` in context.
 *
 * @since 0.1.0
 */
export const run: (
  source: RestApiSource,
  options: pipeline.RunOptions
) => Effect.Effect<pipeline.LoadInfo, pipeline.UnknownResourceError | DestinationError, Destination | ApiClient> = pipeline.run

/**
 * The table a resource loads into, as named in Postgres (snake_case, at most 63 bytes).
 *
 * @since 0.1.0
 */
export const tableName: (resource: { readonly tableName: string }) => string = pipeline.tableNameOf
