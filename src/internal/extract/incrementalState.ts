/** The incremental state as stored in `_rc_state`, read back. */
import { Option, Schema } from "effect"
import { present } from "./cursorValue.js"
import type { IncrementalState } from "./incrementalModel.js"

const StoredState = Schema.Struct({
  initialValue: Schema.optional(Schema.Unknown),
  lastValue: Schema.optional(Schema.Unknown),
  uniqueHashes: Schema.Array(Schema.String)
})

const decodeStoredState = Schema.decodeUnknownOption(StoredState)

/**
 * Validates a stored state; `undefined` for anything that is not one (the run then starts from
 * `initial_value`, as on a first run).
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseState = (u: unknown): IncrementalState | undefined =>
  Option.match(decodeStoredState(u), {
    onNone: () => undefined,
    onSome: (s): IncrementalState => ({
      initialValue: present(s.initialValue) ? s.initialValue : undefined,
      lastValue: present(s.lastValue) ? s.lastValue : undefined,
      uniqueHashes: s.uniqueHashes
    })
  })
