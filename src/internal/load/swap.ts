/**
 * Swapping staged tables into place: a staging table whose final table does not exist yet
 * becomes that table (renamed into the dataset) instead of being copied into it.
 */
import { Effect } from "effect"
import { SystemColumns } from "../normalize/tableSchema.js"
import type { Catalog } from "./catalog.js"
import type { TableSpec } from "./ddlPlan.js"
import type { DestinationError } from "./destination.js"
import { ident, qualified, rootIndexName } from "./identifiers.js"
import type { LoadState, StagedTable } from "./loadState.js"
import { exec } from "./sqlSession.js"
import { columnDefinition } from "./sqlText.js"
import { storedChildrenOf } from "./tableGraph.js"

/** What one try of a commit has learnt about the staged rows. */
export interface CommitAttempt {
  /** Was some root `_rc_id` staged more than once? Undefined until asked (at most once). */
  duplicateIds: boolean | undefined
}

/**
 * The staged tables that become their final tables whole (renamed into place, no copy): swap
 * candidates whose final table still does not exist. A merge swaps all of the resource's tables
 * or none: only when none of them exists and no `_rc_id` was staged twice.
 */
export const chooseSwaps = (
  state: LoadState,
  attempt: CommitAttempt,
  catalog: Catalog
): Effect.Effect<ReadonlySet<string>, DestinationError> =>
  Effect.gen(function*() {
    const { dataset, rootTable, sql, staged } = state
    const fresh = [...staged.values()].filter((t) => t.swapCandidate && !catalog.tables.has(t.table))
    if (!state.isMerge) return new Set(fresh.map((t) => t.table))
    const root = staged.get(rootTable)
    const untouched = root !== undefined && fresh.length === staged.size && !catalog.tables.has(rootTable) &&
      storedChildrenOf(catalog, rootTable).length === 0
    if (!untouched) return new Set<string>()
    // The root's unique `_rc_id` index, built on the staging table: if it builds, no id was
    // staged twice (one pass, where a GROUP BY and then the index were two), and it moves with
    // the table into place. If it fails (a duplicate, or a name another load holds), the
    // savepoint undoes it and the rows are copied instead.
    const indexed = yield* sql.withTransaction(
      exec(
        sql,
        `CREATE UNIQUE INDEX ${ident(rootIndexName(rootTable))} ON ${qualified(state.stagingSchema, root.staging)} (${
          ident(SystemColumns.id)
        })`,
        [],
        "checking the staged ids",
        dataset,
        rootTable
      )
    ).pipe(Effect.as(true), Effect.orElseSucceed(() => false))
    if (!indexed) return new Set<string>()
    attempt.duplicateIds = false
    return new Set(fresh.map((t) => t.table))
  })

/** Makes a staging table the final table: the final's columns and NOT NULLs, then renamed into the dataset. */
export const swapIn = (
  state: LoadState,
  entry: StagedTable,
  spec: TableSpec | undefined
): Effect.Effect<void, DestinationError> =>
  Effect.gen(function*() {
    const { dataset, sql } = state
    const what = "moving staged rows into place"
    const changes = [
      ...(entry.columns.has(SystemColumns.seq) ? [`DROP COLUMN ${ident(SystemColumns.seq)}`] : []),
      // Declared columns that got no value in this load.
      ...(spec?.columns ?? []).filter((c) => !entry.columns.has(c.name)).map((c) => `ADD COLUMN ${columnDefinition(c, false)}`),
      // All in one statement: one scan of the table checks every NOT NULL.
      ...(spec?.columns ?? []).filter((c) => !c.nullable).map((c) => `ALTER COLUMN ${ident(c.name)} SET NOT NULL`)
    ]
    const staging = qualified(state.stagingSchema, entry.staging)
    if (changes.length > 0) yield* exec(sql, `ALTER TABLE ${staging} ${changes.join(", ")}`, [], what, dataset, entry.table)
    // Into the dataset under its unique staging name first; the rename fails (42P07, and the
    // commit is retried, then copying) if another session created the table meanwhile.
    yield* exec(sql, `ALTER TABLE ${staging} SET SCHEMA ${ident(dataset)}`, [], what, dataset, entry.table)
    yield* exec(sql, `ALTER TABLE ${qualified(dataset, entry.staging)} RENAME TO ${ident(entry.table)}`, [], what, dataset, entry.table)
  })
