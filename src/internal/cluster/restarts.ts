/**
 * Riding out a database restart on a runner. A workflow must not end, or stay "running" in
 * status, because Postgres was away for a few seconds: what the runner reads and writes itself
 * is tried again, and so are the workflow engine's own storage calls. And starting up: runners
 * that start together on a new cluster race to make its tables, and the loser tries again.
 */
import { Cause, Effect, ExecutionStrategy, Exit, Layer, Predicate, Schedule, Scope } from "effect"
import { isConnectionLost } from "../load/destinationErrors.js"

/** Waits of 0.2 s doubling to 10 s, for up to 2 minutes. */
export const throughRestarts = Schedule.exponential("200 millis").pipe(
  Schedule.either(Schedule.spaced("10 seconds")),
  Schedule.upTo("2 minutes")
)

/**
 * `self` tried again on `throughRestarts` while it fails because the database connection is gone
 * (a restart, a failover, a pool that cannot connect yet). Any other failure, such as a denied
 * permission or a missing table, stands at once: waiting 2 minutes would not change it.
 */
export const whileRestarting = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.retry(self, { schedule: throughRestarts, while: (e) => isConnectionLost(e) })

/** A defect that is @effect/cluster's `PersistenceError`: its storage could not be reached. */
const storageDown = (cause: Cause.Cause<unknown>): boolean =>
  Cause.isDie(cause) && Predicate.isTagged(Cause.squash(cause), "PersistenceError")

/**
 * The workflow engine's calls (running an activity, a durable sleep) die with a
 * `PersistenceError` when the cluster's storage is down, and a workflow that dies is recorded
 * as ended, for good. Those calls are keyed by the activity's name and attempt, so making one
 * again runs or finds the same activity: they are tried again through a restart.
 */
export const throughStorageRestarts = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.unsandbox(Effect.retry(Effect.sandbox(self), { schedule: throughRestarts, while: storageDown }))

/** A cause with a SQL error in it, failed or died (`orDie` around a migration). */
const sqlFailure = (cause: Cause.Cause<unknown>): boolean =>
  [...Cause.failures(cause), ...Cause.defects(cause)].some((e) => Predicate.isTagged(e, "SqlError"))

/**
 * `layer` built again (up to 4 more times, 250 ms apart) when building it fails or dies on a SQL
 * error: runners started together on a new cluster race on the storage's `CREATE TABLE IF NOT
 * EXISTS` (one fails on pg_type's unique index, and @effect/cluster's migrations die of it); made
 * again, they find the tables. What a failed attempt acquired (a listening socket) is released
 * before the next.
 */
export const retryStartup = <A, E, R>(layer: Layer.Layer<A, E, R>): Layer.Layer<A, E, R> =>
  Layer.scopedContext(Effect.gen(function*() {
    const outer = yield* Effect.scope
    const attempt = Effect.flatMap(Scope.fork(outer, ExecutionStrategy.sequential), (scope) =>
      Layer.buildWithScope(layer, scope).pipe(Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))))
    const logged = Effect.tapError(Effect.sandbox(attempt), (cause) =>
      sqlFailure(cause) ? Effect.logWarning("setting up the cluster's storage raced another runner's; trying again", cause) : Effect.void)
    return yield* Effect.unsandbox(Effect.retry(logged, {
      schedule: Schedule.spaced("250 millis").pipe(Schedule.intersect(Schedule.recurs(4))),
      while: sqlFailure
    }))
  }))
