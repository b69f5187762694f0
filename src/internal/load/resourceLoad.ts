/**
 * Starting a resource load: leftovers of earlier loads dropped, the load's state made, and
 * its staging dropped again when the load is abandoned (its scope closes without a commit).
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { Scope } from "effect/Scope"
import { commitLoads } from "./commit.js"
import { isReservedTableName, ReservedPrefix } from "../normalize/naming.js"
import {
  type CommitOptions,
  DestinationError,
  type LoadResult,
  type MergeOptions,
  type ResourceLoad,
  type StartLoadOptions
} from "./destination.js"
import { stagingSchemaName } from "./identifiers.js"
import type { LoadState } from "./loadState.js"
import type { CopyWriter } from "./pgCopy.js"
import { dropStaging } from "./staging.js"
import { write } from "./writePath.js"

/** Each load's state, for committing several loads together (`commitLoadsOf`). */
const statesOfLoads = new WeakMap<ResourceLoad, LoadState>()

/** Commits loads made by `startLoad` together (see `Destination.commitLoads`). */
export const commitLoadsOf = (
  loads: ReadonlyArray<ResourceLoad>,
  options: CommitOptions
): Effect.Effect<LoadResult, DestinationError> => {
  const states: Array<LoadState> = []
  for (const load of loads) {
    const state = statesOfLoads.get(load)
    if (state === undefined) {
      return Effect.fail(new DestinationError({ message: "commit: a load that this destination did not start", dataset: "" }))
    }
    states.push(state)
  }
  return states.length === 0
    ? Effect.fail(new DestinationError({ message: "commit: no load to commit", dataset: "" }))
    : commitLoads(states, options)
}

/** The load's state; nothing is created in the database until rows arrive. */
const makeLoadState = (
  sql: SqlClient.SqlClient,
  copy: CopyWriter | undefined,
  options: StartLoadOptions
): Effect.Effect<LoadState, never, Scope> =>
  Effect.gen(function*() {
    const isMerge = options.disposition === "merge"
    // No strategy given: upsert, what merge did before strategies existed.
    const merge: MergeOptions = options.merge ?? { strategy: "upsert", mergeKey: [] }
    return {
      sql,
      copy,
      dataset: options.dataset,
      resource: options.resource,
      loadId: options.loadId,
      rootTable: options.rootTable,
      stagingKey: options.stagingKey ?? options.resource,
      stagingSchema: stagingSchemaName(options.dataset),
      disposition: options.disposition,
      primaryKey: options.primaryKey,
      declaredTables: options.declaredTables ?? [],
      isMerge,
      merge,
      swappable: !isMerge ||
        (merge.strategy !== "scd2" && (merge.hardDelete === undefined || merge.strategy === "insert-only")),
      loadScope: yield* Effect.scope,
      flushRows: Math.max(1, options.batchRows ?? 1000),
      lock: yield* Effect.makeSemaphore(1),
      staged: new Map(),
      pending: new Map(),
      sending: new Map(),
      stagingReady: false,
      status: "open",
      busy: false
    }
  })

export const startLoad = (
  sql: SqlClient.SqlClient,
  copy: CopyWriter | undefined,
  options: StartLoadOptions
): Effect.Effect<ResourceLoad, DestinationError, Scope> =>
  Effect.gen(function*() {
    // Checked before anything touches the database: `_rc_*` are our system tables.
    if (isReservedTableName(options.rootTable)) {
      return yield* Effect.fail(
        new DestinationError({
          message: `table '${options.rootTable}' is reserved: names starting with '${ReservedPrefix}' are effect-rest-connector's system tables`,
          dataset: options.dataset,
          table: options.rootTable
        })
      )
    }
    const state = yield* makeLoadState(sql, copy, options)
    // Leftovers of killed runs (and of an earlier attempt with this load id) would add stale rows.
    yield* dropStaging(sql, state.dataset, state.stagingKey, undefined)
    yield* Effect.addFinalizer(() =>
      state.status === "committed" || !state.stagingReady
        ? Effect.void
        : dropStaging(sql, state.dataset, state.stagingKey, state.loadId).pipe(Effect.timeout("30 seconds"), Effect.ignore)
    )
    const load: ResourceLoad = {
      write: (batch) => write(state, batch),
      commit: (commitOptions) => commitLoads([state], commitOptions)
    }
    statesOfLoads.set(load, state)
    return load
  }).pipe(Effect.withSpan("Destination.startLoad", { attributes: { dataset: options.dataset, resource: options.resource } }))
