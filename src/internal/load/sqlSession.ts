/**
 * Running our statements over `SqlClient`: every failure becomes a `DestinationError` that says
 * what was being done and names dataset and table; a transaction is one unit of work.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Cause, Effect } from "effect"
import type { DestinationError } from "./destination.js"
import { destinationError, isCatalogRace } from "./destinationErrors.js"

/** Runs one statement; its raw driver result (for row counts). */
export const exec = (
  sql: SqlClient.SqlClient,
  text: string,
  params: ReadonlyArray<string>,
  what: string,
  dataset: string,
  table?: string
): Effect.Effect<unknown, DestinationError> =>
  sql.unsafe(text, params).raw.pipe(Effect.mapError(destinationError(what, dataset, table)))

export const query = <A extends object>(
  sql: SqlClient.SqlClient,
  text: string,
  params: ReadonlyArray<string>,
  what: string,
  dataset: string
): Effect.Effect<ReadonlyArray<A>, DestinationError> =>
  // withoutTransform: a client configured with name transforms must not rename catalog columns.
  sql.unsafe<A>(text, params).withoutTransform.pipe(Effect.mapError(destinationError(what, dataset)))

/** A query of one row with one boolean column `present`. */
export const exists = (
  sql: SqlClient.SqlClient,
  text: string,
  param: string,
  what: string,
  dataset: string
): Effect.Effect<boolean, DestinationError> =>
  query<{ readonly present: boolean }>(sql, text, [param], what, dataset).pipe(
    Effect.map((rows) => rows[0]?.present === true)
  )

/**
 * A transaction as one unit of work. COMMIT failures surface as defects (STYLE pitfall 8), so
 * every non-interruption cause becomes a `DestinationError`.
 */
export const unitOfWork = <A>(
  sql: SqlClient.SqlClient,
  what: string,
  dataset: string,
  self: Effect.Effect<A, DestinationError | SqlError>
): Effect.Effect<A, DestinationError> =>
  sql.withTransaction(self).pipe(
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.interrupt
        : Effect.fail(destinationError(what, dataset)(Cause.squash(cause)))
    ),
    // `CREATE ... IF NOT EXISTS` can still collide with another session's fresh commit:
    // a session keeps a stale "does not exist" in its catalog cache until its next
    // transaction. The transaction rolled back whole, so running it again is safe.
    Effect.retry({ times: 2, while: isCatalogRace })
  )

/** Row count of a `pg` result (`.raw`); other drivers may not report one. */
export const rowCountOf = (result: unknown): number | undefined =>
  typeof result === "object" && result !== null && "rowCount" in result && typeof result.rowCount === "number"
    ? result.rowCount
    : undefined
