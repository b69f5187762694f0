/**
 * The commit of a resource load: its tables and columns first (a short transaction of their
 * own under the dataset lock), then its rows, its load record and state in one transaction
 * (DESIGN §4): staged tables swapped into place or their rows moved by disposition, indexes of
 * new tables built over their rows, the schema version recorded, and staging dropped. A
 * resource whose records go to several root tables (dlt's `table_name` function) has a load
 * per table, and they commit together: one transaction, one `_rc_loads` row, one state.
 */
import { Effect } from "effect"
import type { TableSchema } from "../normalize/tableSchema.js"
import type { Catalog } from "./catalog.js"
import { readCatalog } from "./catalog.js"
import { recordSources } from "./columnSources.js"
import type { Ddl } from "./ddlPlan.js"
import { planDdl } from "./ddlPlan.js"
import { type CommitOptions, DestinationError, type LoadResult } from "./destination.js"
import type { LoadState } from "./loadState.js"
import { claimCommit, createCommitsSql, type EarlierCommit, recordLoad } from "./loadRecords.js"
import { moveStagedRows } from "./moveRows.js"
import { schemaVersionOf } from "./schemaVersion.js"
import { exec, unitOfWork } from "./sqlSession.js"
import { lockKey, lockSql } from "./sqlText.js"
import { dropOwnStaging } from "./staging.js"
import type { CommitAttempt } from "./swap.js"
import { chooseSwaps, swapIn } from "./swap.js"
import { recordLinks, storedChildrenOf } from "./tableGraph.js"
import { tableSpecs } from "./tableSpecs.js"
import { ensureOpen, flushAll, locked } from "./writePath.js"

/**
 * Runs the DDL that `plan` makes of the catalog under the dataset lock, re-read there: another
 * session may have created the same objects meanwhile. The catalog it planned on.
 */
const lockedDdl = (state: LoadState, plan: (catalog: Catalog) => ReadonlyArray<Ddl>): Effect.Effect<Catalog, DestinationError> =>
  Effect.gen(function*() {
    const { dataset, sql } = state
    yield* exec(sql, lockSql, [lockKey(dataset)], "locking the dataset", dataset)
    const catalog = yield* readCatalog(sql, dataset)
    for (const ddl of plan(catalog)) yield* exec(sql, ddl.sql, [], "creating tables", dataset, ddl.table)
    return catalog
  })

/** The load's tables with the parents (and source keys) the normalizer gave them: declared and staged. */
const treeOf = (state: LoadState): ReadonlyArray<TableSchema> => [
  ...state.declaredTables,
  ...[...state.staged.values()].map((t) => t.schema)
]

/** Records the load's tree in `_rc_tables` and its columns' source keys in `_rc_columns`. */
const recordTree = (state: LoadState, catalog: Catalog): Effect.Effect<void, DestinationError> => {
  const tree = treeOf(state)
  return Effect.zipRight(
    recordLinks(state.sql, state.dataset, state.rootTable, tree, catalog),
    recordSources(state.sql, state.dataset, tree, catalog)
  )
}

/**
 * Creates the load's missing tables and columns, and records their parentage. The tables it
 * creates (and the swap candidates, created or swapped in by the commit): their indexes come
 * after their rows.
 */
const prepareTables = (state: LoadState): Effect.Effect<ReadonlySet<string>, DestinationError> =>
  Effect.gen(function*() {
    const { dataset } = state
    // Tables that may be swapped in are left to the commit (which creates them if it copies
    // after all); either way they are new, so indexed after their rows.
    const candidates = new Set([...state.staged.values()].filter((t) => t.swapCandidate).map((t) => t.table))
    const specs = tableSpecs(state).filter((t) => !candidates.has(t.name))
    const created = (catalog: Catalog): ReadonlySet<string> =>
      new Set([
        ...specs.filter((t) => !catalog.tables.has(t.name) && !t.conflictTarget).map((t) => t.name),
        ...[...candidates].filter((t) => !catalog.tables.has(t))
      ])
    const before = yield* readCatalog(state.sql, dataset)
    const catalog = planDdl(dataset, before, specs, created(before)).length === 0
      ? before
      : yield* lockedDdl(state, (c) => planDdl(dataset, c, specs, created(c)))
    // Swap candidates too: whichever way they come, they are this tree's.
    yield* recordTree(state, catalog)
    return created(catalog)
  })

interface TableCommit {
  readonly rowsPerTable: Record<string, number>
  /** The dataset's catalog after this load's tables were written. */
  readonly catalog: Catalog
  /** The load's tables as stored now (DDL only ever adds to them). */
  readonly ownTables: ReadonlySet<string>
}

/**
 * One root table's part of the commit's transaction: its rows moved or swapped in, its links
 * and new indexes, its staging dropped. `newTables`: created empty by this load's preparation,
 * or about to be; their indexes come after the rows.
 */
const commitTable = (state: LoadState, startedAt: Date, newTables: ReadonlySet<string>): Effect.Effect<TableCommit, DestinationError> =>
  Effect.gen(function*() {
    const { dataset, rootTable, sql, staged } = state
    const attempt: CommitAttempt = { duplicateIds: undefined }
    const allSpecs = tableSpecs(state)
    let catalog = yield* readCatalog(sql, dataset)
    const swaps = yield* chooseSwaps(state, attempt, catalog)
    const specs = allSpecs.filter((t) => !swaps.has(t.name))
    // Upsert's ON CONFLICT needs its index before any row goes in.
    const withoutIndexes = new Set([...newTables].filter((t) => !specs.some((s) => s.name === t && s.conflictTarget)))
    if (planDdl(dataset, catalog, specs, withoutIndexes).length > 0) {
      yield* lockedDdl(state, (c) => planDdl(dataset, c, specs, withoutIndexes))
      catalog = yield* readCatalog(sql, dataset)
    }

    const rowsPerTable: Record<string, number> = {}
    for (const spec of allSpecs) rowsPerTable[spec.name] = 0
    for (const table of swaps) {
      const entry = staged.get(table)
      if (entry === undefined) continue
      yield* swapIn(state, entry, allSpecs.find((t) => t.name === table))
      rowsPerTable[table] = entry.rows
    }
    const storedChildren = storedChildrenOf(catalog, rootTable)
    yield* moveStagedRows(state, attempt, { catalog, swaps, storedChildren, startedAt, rowsPerTable })

    if (swaps.size > 0) catalog = yield* readCatalog(sql, dataset)
    // Again with the tables this transaction creates (swapped in, or created here after all):
    // nothing to write when the preparation's records are there.
    yield* recordTree(state, catalog)
    // Indexes of the tables this load created, built once over their rows. No dataset lock:
    // the tables are this resource's own, and a clash rolls back and retries. Children's
    // `_rc_root_id` indexes wait for the first merge into them (the next load's preparation
    // builds them before its merge): on 1.35 M rows they were half of a first load's commit,
    // for a merge that may never come.
    for (const ddl of planDdl(dataset, catalog, allSpecs)) {
      if (ddl.untilMerged === true) continue
      if (ddl.table !== undefined && (newTables.has(ddl.table) || swaps.has(ddl.table))) {
        yield* exec(sql, ddl.sql, [], "indexing new tables", dataset, ddl.table)
      }
    }
    yield* dropOwnStaging(state)
    return { rowsPerTable, catalog, ownTables: new Set([rootTable, ...storedChildren, ...allSpecs.map((t) => t.name)]) }
  })

const isEarlierCommit = (u: unknown): u is EarlierCommit =>
  typeof u === "object" && u !== null && "loadId" in u && typeof u.loadId === "string" && "rowsPerTable" in u
const earlierOf = (u: unknown): EarlierCommit => (isEarlierCommit(u) ? u : { loadId: "", rowsPerTable: {} })

/** Every table's commit, then the resource's schema version, `_rc_loads` row and state. */
const commitWork = (
  states: ReadonlyArray<LoadState>,
  startedAt: Date,
  resourceState: unknown,
  newTables: ReadonlyArray<ReadonlySet<string>>,
  commitKey: string | undefined
) =>
  Effect.gen(function*() {
    const { dataset, loadId, resource, sql } = states[0]
    const rowsPerTable: Record<string, number> = {}
    const ownTables = new Set<string>()
    let catalog: Catalog | undefined
    for (let i = 0; i < states.length; i++) {
      const done = yield* commitTable(states[i], startedAt, newTables[i])
      Object.assign(rowsPerTable, done.rowsPerTable)
      for (const t of done.ownTables) ownTables.add(t)
      // Read after every earlier table's DDL in this transaction: the last one sees them all.
      catalog = done.catalog
    }
    const version = schemaVersionOf(
      resource,
      [...(catalog?.tables.entries() ?? [])].filter(([name]) => ownTables.has(name)).map(([name, columns]) => ({
        name,
        columns: [...columns.entries()].map(([column, info]) => ({ name: column, type: info.type, nullable: !info.required }))
      }))
    )
    yield* recordLoad(sql, { dataset, resource, loadId, startedAt, rowsPerTable, version, state: resourceState })
    if (commitKey !== undefined) {
      const earlier = yield* claimCommit(sql, { dataset, key: commitKey, resource, loadId, rowsPerTable })
      // Failing rolls the whole transaction back: rows, `_rc_loads` row and state.
      if (earlier !== undefined) {
        return yield* Effect.fail(
          new DestinationError({
            message: `${resource}: commit key ${commitKey} was committed by load ${earlier.loadId}; this attempt rolled back`,
            dataset,
            reason: "AlreadyCommitted",
            cause: earlier
          })
        )
      }
    }
    return { rowsPerTable, schemaVersion: version.hash }
  })

/**
 * A connection lost in the commit's transaction: it rolled back, unless the connection went
 * after the server had committed; this run cannot tell which. Either way rows and state went
 * together, so the next run converges.
 */
const lostInCommit = (resource: string) => (e: DestinationError): DestinationError =>
  e.reason !== "ConnectionLost" ? e : new DestinationError({
    message: `the connection to the database was lost during the commit of ${resource}, which may or may not have taken effect; ` +
      `rows and state commit together, so the next run converges (${e.message})`,
    dataset: e.dataset,
    table: e.table,
    reason: "ConnectionLostInCommit",
    cause: e
  })

/** Runs `effect` holding every load's lock (writers wait; the commit is the last writer). */
const lockedAll = <A, E>(states: ReadonlyArray<LoadState>, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  states.reduceRight((inner, state) => locked(state, inner), effect)

/**
 * Makes the loads' rows visible at once, with the resource's `_rc_loads` row and its state:
 * the loads of one resource (and one run), one per root table.
 */
export const commitLoads = (
  states: ReadonlyArray<LoadState>,
  options: CommitOptions
): Effect.Effect<LoadResult, DestinationError> => {
  const first = states[0]
  if (first === undefined) return Effect.dieMessage("commitLoads: no load to commit")
  const { dataset, loadId, resource, sql } = first
  const stranger = states.find((s) => s.sql !== sql || s.dataset !== dataset || s.resource !== resource || s.loadId !== loadId)
  if (stranger !== undefined) {
    return Effect.fail(
      new DestinationError({
        message: `commit: the loads committed together must be of one resource, run and database (${resource} and ${stranger.resource})`,
        dataset
      })
    )
  }
  return lockedAll(
    states,
    Effect.gen(function*() {
      for (const state of states) yield* ensureOpen(state, "commit")
      // Rows still waiting for their write to staging.
      for (const state of states) yield* flushAll(state)
      // Tables and columns first, in their own short transaction under the dataset lock, so
      // resources' data commits (the long part) do not wait for each other. New empty tables
      // or columns are all a failed data commit can leave behind.
      const newTables = yield* unitOfWork(
        sql,
        `preparing the tables of ${resource}`,
        dataset,
        Effect.zipLeft(
          Effect.forEach(states, prepareTables),
          options.commitKey === undefined ? Effect.void : exec(sql, createCommitsSql(dataset), [], "creating the commit keys' table", dataset)
        )
      )
      const committed = yield* unitOfWork(
        sql,
        `committing ${resource}`,
        dataset,
        commitWork(states, options.startedAt, options.state, newTables, options.commitKey)
      ).pipe(
        Effect.map((done): LoadResult => ({ loadId, resource, ...done })),
        // The key's earlier commit stands; this load rolled back (its staging goes with it).
        Effect.catchIf((e) => e.reason === "AlreadyCommitted" && isEarlierCommit(e.cause), (e) =>
          Effect.succeed<LoadResult>({ loadId: earlierOf(e.cause).loadId, resource, rowsPerTable: earlierOf(e.cause).rowsPerTable, committedEarlier: true })),
        Effect.mapError(lostInCommit(resource))
      )
      for (const state of states) state.status = "committed"
      return committed
    })
  ).pipe(Effect.withSpan("Destination.commit", { attributes: { dataset, resource, loadId, tables: states.length } }))
}

