/**
 * Lists met while flattening a row, kept until the row has its id (their rows need it as
 * `_rc_parent_id`). One stack of parallel arrays for the whole normalizer instead of an array
 * per row; entries above `top` are stale (truncating arrays is slow in V8).
 */
import type { Field } from "./tableState.js"

const noItems: ReadonlyArray<unknown> = []

export class PendingLists {
  readonly fields: Array<Field> = []
  readonly values: Array<ReadonlyArray<unknown>> = []
  /** Nesting level of each list's items. */
  readonly levels: Array<number> = []
  top = 0

  push(field: Field, items: ReadonlyArray<unknown>, level: number): void {
    const top = this.top
    this.fields[top] = field
    this.values[top] = items
    this.levels[top] = level
    this.top = top + 1
  }

  /** Lets the page's lists be collected (the stack only ever holds a few entries). */
  release(): void {
    this.values.fill(noItems)
  }
}
