/**
 * The public shapes of the incremental cursor: its options, its stored state, one run's interface
 * and its error.
 *
 * @since 0.1.0
 */
import { Data, type Either } from "effect"
import type * as DataSelector from "../syntax/dataSelector.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface IncrementalOptions {
  /** JSONPath into each raw record (pre-normalization names). */
  readonly cursorPath: DataSelector.DataSelector
  readonly initialValue?: unknown
  readonly endValue?: unknown
  readonly lastValueFunc: "max" | "min" | ((values: ReadonlyArray<unknown>) => unknown)
  readonly rowOrder?: "asc" | "desc" | undefined
  /** Seconds for date-times, days for dates, plain units for numbers. */
  readonly lag?: number | undefined
  readonly onCursorValueMissing: "raise" | "include" | "exclude"
  /** Default closed (boundary deduplicated). */
  readonly rangeStart: "open" | "closed"
  /** Default open. */
  readonly rangeEnd: "open" | "closed"
  /** Raw field names used for boundary dedup; empty = hash of the whole record. */
  readonly primaryKey: ReadonlyArray<string>
}

/**
 * JSON-serializable, stored in `_rc_state` per resource (and per parent record for child resources).
 *
 * @since 0.1.0
 * @category models
 */
export interface IncrementalState {
  readonly initialValue: unknown
  /** The raw value the records carried. */
  readonly lastValue: unknown
  /** Records seen AT `lastValue` (boundary dedup). */
  readonly uniqueHashes: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category errors
 */
export class IncrementalError extends Data.TaggedError("IncrementalError")<{
  readonly message: string
  readonly recordIndex?: number | undefined
}> {}

/**
 * @since 0.1.0
 * @category models
 */
export interface IncrementalRun {
  /**
   * Values for `{incremental.start_value}`, `{incremental.initial_value}`, `{incremental.last_value}`,
   * `{incremental.end_value}`. Lag is already applied to `start_value`; `last_value` equals it, as
   * dlt's `last_value` is lag-adjusted while the requests are built.
   */
  readonly placeholders: {
    readonly start_value: unknown
    readonly initial_value: unknown
    readonly last_value: unknown
    readonly end_value: unknown
  }
  /** Filters one page of records (client-side, even if the API ignored the param); `stop` = out of range with row_order, so paging can end. */
  readonly filter: (
    records: ReadonlyArray<unknown>,
    firstIndex: number
  ) => Either.Either<{ readonly records: ReadonlyArray<unknown>; readonly stop: boolean }, IncrementalError>
  /** State to store after a successful load; undefined when end_value is set (a stateless backfill, as dlt). */
  readonly state: () => IncrementalState | undefined
}
