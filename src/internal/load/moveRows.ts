/**
 * Moving staged rows into the final tables by write disposition (append, replace, merge), in
 * the commit's transaction, counting the rows written per table.
 */
import { Effect } from "effect"
import { SystemColumns } from "../normalize/tableSchema.js"
import type { Catalog, StoredColumnInfo } from "./catalog.js"
import type { DestinationError } from "./destination.js"
import { qualified } from "./identifiers.js"
import type { LoadState, StagedTable } from "./loadState.js"
import { planMerge } from "./mergePlan.js"
import { exec, query, rowCountOf } from "./sqlSession.js"
import { deleteAllSql, duplicateIdsSql, insertFromStagingSql, mergeWorkMemSql } from "./sqlText.js"
import type { CommitAttempt } from "./swap.js"

export interface RowsToMove {
  readonly catalog: Catalog
  /** Staged tables already swapped into place (nothing to copy). */
  readonly swaps: ReadonlySet<string>
  /** Child tables of the resource as stored now, including ones that got no rows this time. */
  readonly storedChildren: ReadonlyArray<string>
  readonly startedAt: Date
  /** Rows written per final table; the moves add theirs. */
  readonly rowsPerTable: Record<string, number>
}

/** Was some root `_rc_id` staged more than once? (Asked at most once per commit attempt.) */
const hasDuplicateIds = (state: LoadState, attempt: CommitAttempt, root: StagedTable) =>
  attempt.duplicateIds !== undefined
    ? Effect.succeed(attempt.duplicateIds)
    : query<{ readonly present: boolean }>(
      state.sql,
      duplicateIdsSql(qualified(state.stagingSchema, root.staging)),
      [],
      "merging rows",
      state.dataset
    ).pipe(Effect.map((rows) => {
      attempt.duplicateIds = rows[0]?.present === true
      return attempt.duplicateIds
    }))

/** Every staged row of `entry` into its final table. */
const copyTable = (state: LoadState, move: RowsToMove, entry: StagedTable, what: string) => {
  const columns = [...entry.columns.keys()].filter((c) => c !== SystemColumns.seq)
  const text = insertFromStagingSql(state.dataset, entry.table, state.stagingSchema, entry.staging, columns)
  return exec(state.sql, text, [], what, state.dataset, entry.table).pipe(
    Effect.map((result) => {
      move.rowsPerTable[entry.table] = (move.rowsPerTable[entry.table] ?? 0) + (rowCountOf(result) ?? entry.rows)
    })
  )
}

const merge = (state: LoadState, attempt: CommitAttempt, move: RowsToMove) =>
  Effect.gen(function*() {
    const { catalog, rowsPerTable } = move
    const { dataset, rootTable, sql, staged } = state
    const root = staged.get(rootTable)
    if (root === undefined || move.swaps.size > 0) return
    // DISTINCT ON sorts the whole load; the 4 MB default spills it to disk. Reset at COMMIT.
    yield* exec(sql, mergeWorkMemSql, [], "merging rows", dataset)
    const statements = planMerge({
      uniqueIds: !(yield* hasDuplicateIds(state, attempt, root)),
      dataset,
      stagingSchema: state.stagingSchema,
      rootTable,
      root,
      children: [...staged.values()].filter((t) => t.table !== rootTable),
      storedChildren: move.storedChildren.filter((t) => catalog.tables.get(t)?.has(SystemColumns.rootId) === true),
      finalRoot: catalog.tables.get(rootTable) ?? new Map<string, StoredColumnInfo>(),
      primaryKey: state.primaryKey,
      merge: state.merge,
      boundary: move.startedAt.toISOString()
    })
    for (const statement of statements) {
      const result = yield* exec(sql, statement.sql, statement.params, statement.what, dataset, statement.table)
      if (statement.counts) {
        rowsPerTable[statement.table] = (rowsPerTable[statement.table] ?? 0) + (rowCountOf(result) ?? 0)
      }
    }
  })

export const moveStagedRows = (
  state: LoadState,
  attempt: CommitAttempt,
  move: RowsToMove
): Effect.Effect<void, DestinationError> =>
  Effect.gen(function*() {
    /** Staged tables whose rows are still to be copied into their final tables. */
    const toCopy = [...state.staged.values()].filter((t) => !move.swaps.has(t.table))
    switch (state.disposition) {
      case "append": {
        for (const entry of toCopy) yield* copyTable(state, move, entry, "appending rows")
        return
      }
      case "replace": {
        // DELETE, not TRUNCATE: readers keep seeing the old rows until COMMIT.
        const cleared = new Set([state.rootTable, ...move.storedChildren, ...state.staged.keys()])
        for (const table of cleared) {
          if (move.catalog.tables.has(table)) {
            yield* exec(state.sql, deleteAllSql(state.dataset, table), [], "replacing rows", state.dataset, table)
          }
        }
        for (const entry of toCopy) yield* copyTable(state, move, entry, "replacing rows")
        return
      }
      case "merge":
        return yield* merge(state, attempt, move)
    }
  })
