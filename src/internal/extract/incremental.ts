/**
 * The pure logic of dlt's incremental cursor (`dlt/extract/incremental`): the start value a run
 * requests from, the client-side filter of each page, and the state stored after a good load.
 * Request templating, the pipeline wiring and the storage of the state live elsewhere.
 *
 * Semantics follow dlt:
 * - `start_value` = the stored last value, else `initial_value`. With `lag` (and `max`/`min`) it
 *   moves back by the lag (seconds for date-times, days for dates, plain units for numbers), never
 *   past `initial_value`, while the stored last value only ever moves forward. With `end_value` the
 *   run is a stateless backfill: it starts at `initial_value`, ignores stored state, applies no lag
 *   and writes no state.
 * - Records whose cursor is outside `[start, end)` are dropped, even when the API ignored the
 *   request parameter. `range_start: "open"` also drops records equal to the start;
 *   `range_end: "closed"` keeps records equal to the end. With `range_start: "closed"`, records
 *   equal to the start that an earlier run already loaded (their hash is in `uniqueHashes`) are
 *   dropped.
 * - With `row_order`, a record past the end (`asc`) or at/before the start and dropped (`desc`)
 *   sets `stop`: the page is still filtered whole, but no further page needs fetching.
 * - Comparisons: numbers numerically; strings that are RFC 3339 date-times (or dates, `YYYY-MM-DD`
 *   or `YYYYMMDD`) as instants, so `2024-01-01T00:00:00Z` equals `2024-01-01T01:00:00+01:00`; any
 *   other strings lexicographically. A number against a string is an error.
 *
 * Where dlt was unclear or Python-specific, we chose:
 * - date-times without an offset compare as UTC (pendulum parses them so); a date compares as
 *   midnight UTC of that day;
 * - a custom `last_value_func` decides which value "wins" from `f([a, b])`; it gets no lag (dlt
 *   warns and ignores lag there too);
 * - `uniqueHashes` hold the hashes of the records at the new last value, plus the stored ones when
 *   the last value did not move (so a boundary record stays deduplicated run after run);
 * - a lag that cannot be applied (a cursor string that is not a date) or a start that cannot be
 *   compared is reported by the first `filter` call, since `start` itself cannot fail.
 *
 * @since 0.1.0
 */

// The parts live beside this module: incrementalModel (options, state, run, error), temporalText
// (dates and date-times), cursorValue (order and last_value_func), cursorLag, boundaryHash,
// incrementalRun (start), incrementalState (parseState) and incrementalWindows (windows).
export {
  IncrementalError,
  type IncrementalOptions,
  type IncrementalRun,
  type IncrementalState
} from "./incrementalModel.js"
export { start } from "./incrementalRun.js"
export { parseState } from "./incrementalState.js"
export { type Window, windows } from "./incrementalWindows.js"
