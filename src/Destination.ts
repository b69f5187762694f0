/**
 * Where normalized rows go: a service with one implementation (`Postgres.layer`) that serves
 * a Postgres server and the embedded database alike. Provide your own for another store.
 *
 * @since 0.1.0
 */
export {
  /**
   * @since 0.1.0
   */
  type Batch,
  /**
   * @since 0.1.0
   */
  Destination,
  /**
   * A write or commit that failed, naming the dataset and table.
   *
   * @since 0.1.0
   */
  DestinationError,
  /**
   * @since 0.1.0
   */
  type LoadResult,
  /**
   * @since 0.1.0
   */
  type MergeOptions,
  /**
   * @since 0.1.0
   */
  type ResourceLoad,
  /**
   * @since 0.1.0
   */
  type StartLoadOptions,
  /**
   * @since 0.1.0
   */
  type StoredColumn
} from "./internal/load/destination.js"
