/**
 * Resources' stored state (`_rc_state`: the incremental cursors a run starts from) read and
 * reset from outside a run. A reset waits for a run loading the resource (the pipeline's lock,
 * resourceLocks.ts), so it never lands between that run's read of the state and its commit.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { DestinationError } from "./destination.js"
import { destinationError } from "./destinationErrors.js"
import { qualified, SystemTables } from "./identifiers.js"
import { lockResource, SessionLocks } from "./resourceLocks.js"
import { exec, exists, query, rowCountOf } from "./sqlSession.js"
import { tableExistsSql } from "./sqlText.js"

/** One resource's row of `_rc_state`. */
export interface StoredState {
  readonly resource: string
  /** The state as stored (see `ResourceState` in the pipeline): JSON. */
  readonly state: unknown
  /** The load that stored it. */
  readonly loadId: string | undefined
  readonly updatedAt: Date | undefined
}

interface StateRow {
  readonly resource: string
  readonly state: string | null
  readonly load_id: string | null
  readonly updated_at: Date | string | null
}

const toDate = (u: Date | string | null): Date | undefined => {
  if (u === null) return undefined
  const d = u instanceof Date ? u : new Date(u)
  return Number.isNaN(d.getTime()) ? undefined : d
}

/** Every resource's stored state, by resource name; none when nothing was stored yet. */
export const readStates = (sql: SqlClient.SqlClient, dataset: string): Effect.Effect<ReadonlyArray<StoredState>, DestinationError> =>
  Effect.gen(function*() {
    const what = "reading the resource states"
    const present = yield* exists(sql, tableExistsSql, qualified(dataset, SystemTables.state), what, dataset)
    if (!present) return []
    // state::text: parsed here, so a client's JSON name transforms never touch user state.
    const rows = yield* query<StateRow>(
      sql,
      `SELECT resource, state::text AS state, load_id, updated_at FROM ${qualified(dataset, SystemTables.state)} ORDER BY resource`,
      [],
      what,
      dataset
    )
    return yield* Effect.forEach(rows, (row) =>
      Effect.try({
        try: (): StoredState => ({
          resource: row.resource,
          state: row.state === null ? undefined : JSON.parse(row.state),
          loadId: row.load_id ?? undefined,
          updatedAt: toDate(row.updated_at)
        }),
        catch: destinationError(what, dataset, SystemTables.state)
      }))
  })

/**
 * Holds `dataset`'s `resource` (waiting for a run loading it) while `self` runs: the lock the
 * pipeline takes, across processes when `SessionLocks` is in context (a server's `layerPool`).
 */
export const withResourceLock = <A, E, R>(
  sql: SqlClient.SqlClient,
  dataset: string,
  resource: string,
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, E | DestinationError, R> =>
  Effect.scoped(
    Effect.gen(function*() {
      const session = yield* Effect.serviceOption(SessionLocks)
      yield* lockResource(sql, session, dataset, resource).pipe(
        Effect.mapError(destinationError(`waiting for another run loading ${dataset}.${resource}`, dataset))
      )
      return yield* self
    })
  )

/**
 * Drops the stored state of `resources` (one at a time, each under its lock), so their next run
 * starts from `initial_value`. The names of those that had a state.
 */
export const resetStates = (
  dataset: string,
  resources: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<string>, DestinationError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const what = "resetting the resource state"
    const reset: Array<string> = []
    for (const resource of resources) {
      // Under the lock: a first run in progress creates `_rc_state` when it commits.
      const deleted = yield* withResourceLock(
        sql,
        dataset,
        resource,
        Effect.flatMap(exists(sql, tableExistsSql, qualified(dataset, SystemTables.state), what, dataset), (present) =>
          present
            ? Effect.map(
              exec(sql, `DELETE FROM ${qualified(dataset, SystemTables.state)} WHERE resource = $1`, [resource], what, dataset, SystemTables.state),
              (result) => (rowCountOf(result) ?? 0) > 0
            )
            : Effect.succeed(false))
      )
      if (deleted) reset.push(resource)
    }
    return reset
  })
