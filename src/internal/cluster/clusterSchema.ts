/**
 * The schema that holds the cluster's state: @effect/cluster's tables (`cluster_runners`,
 * `cluster_messages`, ...) and ours (`syncs`, `schedules`), apart from every dataset.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Deferred, Effect, FiberId } from "effect"

export const clusterSchema = "rc_cluster"

/**
 * Makes the schema if it is missing. `CREATE SCHEMA IF NOT EXISTS` races with itself (two
 * runners starting at once: one fails on pg_namespace's unique index), so a failure only
 * counts when the schema is still missing.
 */
export const ensureClusterSchema = (sql: SqlClient.SqlClient): Effect.Effect<void, SqlError> =>
  sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${clusterSchema}`).pipe(
    Effect.asVoid,
    Effect.catchAll((error) =>
      Effect.flatMap(
        sql.unsafe<{ present: boolean }>(`SELECT to_regnamespace('${clusterSchema}') IS NOT NULL AS present`).withoutTransform,
        (rows) => (rows[0]?.present === true ? Effect.void : Effect.fail(error))
      )
    )
  )

/** The DDL each client has run, or is running (true once it succeeded; false: try it yourself). */
const ensured = new WeakMap<SqlClient.SqlClient, Map<string, Deferred.Deferred<boolean>>>()

/**
 * Makes one of our tables in the schema (`ddl`: `CREATE TABLE IF NOT EXISTS ...`, maybe an
 * `ALTER ... ADD COLUMN IF NOT EXISTS`). Those race too: fifty `submit`s at once on a new
 * cluster, and all but one fail on pg_type's unique index once the first commits. Run again,
 * the statement finds the table and does nothing, so a failure is retried before it counts.
 *
 * Once per client and table, however many callers come at once (a fresh runner starts every
 * workflow its shards hold together): the DDL's round trips and catalog locks, repeated, slowed
 * every runner down. A failed or interrupted run is not kept: its waiters run the DDL themselves.
 */
export const ensureClusterTable = (sql: SqlClient.SqlClient, ddl: string): Effect.Effect<void, SqlError> =>
  Effect.suspend(() => {
    const runs = ensured.get(sql) ?? new Map<string, Deferred.Deferred<boolean>>()
    ensured.set(sql, runs)
    const running = runs.get(ddl)
    if (running !== undefined) {
      return Effect.flatMap(Deferred.await(running), (succeeded) => (succeeded ? Effect.void : ensureClusterTable(sql, ddl)))
    }
    const mine = Deferred.unsafeMake<boolean>(FiberId.none)
    runs.set(ddl, mine)
    return Effect.zipRight(ensureClusterSchema(sql), sql.unsafe(ddl).pipe(Effect.asVoid, Effect.retry({ times: 2 }))).pipe(
      Effect.onExit((exit) =>
        Effect.suspend(() => {
          if (exit._tag === "Failure") runs.delete(ddl)
          return Deferred.succeed(mine, exit._tag === "Success")
        })
      )
    )
  })
