/**
 * What the normalizer's inner functions throw. The per-row code stays free of Either and
 * Effect values (they would allocate per value); `normalize` catches these once per page.
 */
import { Data } from "effect"

/** A record that cannot be normalized; `normalize` turns it into a NormalizeError with the record's index. */
export class NormalizeFailure extends Data.TaggedError("NormalizeFailure")<{
  readonly message: string
  readonly table: string
  readonly column?: string | undefined
}> {}

/** Thrown to abandon the row being flattened (schema_contract `discard_row`); never escapes the normalizer. */
export const DropRow: unique symbol = Symbol("DropRow")
