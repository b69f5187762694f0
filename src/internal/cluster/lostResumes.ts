/**
 * Finds workflows that a durable deferred completed but nobody woke, and wakes them.
 *
 * When a deferred completes (a queued tree's result, a durable clock), @effect/cluster's
 * workflow engine handles its `deferred` message by resetting the workflow's suspended `run`
 * request so that it runs again. Two ways lose that wake-up (@effect/cluster 0.60):
 *
 * - `Sharding.reset` turns a storage error into `false`, and the engine ignores the result. A
 *   database restart at that moment records the deferred as handled while the `run` stays
 *   suspended, for good. The cluster fault test hit this once in a CI run.
 * - The storage poll marks every message it reads (`last_read`) and skips it for 10 minutes
 *   if the entity had just replied to it. A reset `run` read in that window waits 10 minutes.
 *
 * One sweep every `every`, on one runner (a cluster singleton), looks at the `deferred` replies
 * of the last `lookback` (through the replies' primary key: their ids are snowflakes, which
 * start with their time). A workflow whose `run` still holds a `Suspended` reply older than
 * the deferred's reply gets the engine's `resume`. A `run` with no reply, unprocessed and
 * unread for `unreadFor`, is made visible to the poll again. Both are what the engine does
 * itself, and both are harmless when repeated.
 */
import * as EntityAddress from "@effect/cluster/EntityAddress"
import * as EntityId from "@effect/cluster/EntityId"
import * as EntityType from "@effect/cluster/EntityType"
import * as MachineId from "@effect/cluster/MachineId"
import * as MessageStorage from "@effect/cluster/MessageStorage"
import * as ShardId from "@effect/cluster/ShardId"
import * as Singleton from "@effect/cluster/Singleton"
import * as Snowflake from "@effect/cluster/Snowflake"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as Workflow from "@effect/workflow/Workflow"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import { Context, Duration, Effect, Layer, Schedule } from "effect"

export class LostResumeSweep extends Context.Reference<LostResumeSweep>()("effect-rest-connector/LostResumeSweep", {
  defaultValue: (): {
    readonly every: Duration.Duration
    /** A deferred's reply younger than this is left to the engine's own resume. */
    readonly settle: Duration.Duration
    /** How far back deferreds are looked at (longer than a singleton's failover). */
    readonly lookback: Duration.Duration
    /** How long a reset `run` may stay unread before it is made visible again. */
    readonly unreadFor: Duration.Duration
  } => ({ every: Duration.seconds(10), settle: Duration.seconds(5), lookback: Duration.minutes(3), unreadFor: Duration.seconds(30) })
}) {}

export interface LostResume {
  readonly execution_id: string
  readonly shard_id: string
  /** `suspended`: its run still waits on a deferred that completed; `unread`: its run is hidden from the poll. */
  readonly kind: "suspended" | "unread"
}

/** The message id @effect/cluster gives a request's primary key: the key, or its sha256 when longer than 255. */
const messageIdSql = (key: string) => `CASE WHEN length(${key}) <= 255 THEN ${key} ELSE encode(sha256(convert_to(${key}, 'UTF8')), 'hex') END`

/**
 * The workflows of `entityType` that lost a resume, found among the deferred replies between
 * `from` and `to`. `sql` works in the cluster's schema (`clusterDatabase`).
 */
export const findLostResumes = (
  sql: SqlClient.SqlClient,
  options: { readonly entityType: string; readonly from: number; readonly to: number; readonly unreadFor: Duration.Duration }
) => {
  const snowflakeAt = (millis: number) =>
    Snowflake.make({ timestamp: Math.max(millis, Snowflake.constEpochMillis), machineId: MachineId.make(0), sequence: 0 }).toString()
  // kind 0 is a reply with the request's exit (the others are stream chunks).
  return sql.unsafe<LostResume>(
    `SELECT DISTINCT d.entity_id AS execution_id, m.shard_id,
      CASE WHEN r.id IS NULL THEN 'unread' ELSE 'suspended' END AS kind
    FROM cluster_replies dr
    JOIN cluster_messages d ON d.id = dr.request_id AND d.tag = 'deferred' AND d.entity_type = $1
    JOIN cluster_messages m ON m.message_id = ${messageIdSql("d.entity_type || '/' || d.entity_id || '/run/'")}
    LEFT JOIN cluster_replies r ON r.request_id = m.id AND r.kind = 0
    WHERE dr.id > $2 AND dr.id <= $3 AND dr.kind = 0
      AND ((r.id < dr.id AND r.payload::jsonb #>> '{value,_tag}' = 'Suspended')
        OR (r.id IS NULL AND NOT m.processed AND m.last_read < now() - make_interval(secs => $4)))`,
    [options.entityType, snowflakeAt(options.from), snowflakeAt(options.to), Duration.toSeconds(options.unreadFor)]
  ).withoutTransform
}

/** One sweep: finds the lost resumes of `workflow` and wakes each. */
const sweep = (sql: SqlClient.SqlClient, workflow: Workflow.Any) =>
  Effect.gen(function*() {
    const policy = yield* LostResumeSweep
    const storage = yield* MessageStorage.MessageStorage
    const engine = yield* WorkflowEngine.WorkflowEngine
    const now = Date.now()
    const entityType = `Workflow/${workflow.name}`
    const lost = yield* findLostResumes(sql, {
      entityType,
      from: now - Duration.toMillis(policy.lookback),
      to: now - Duration.toMillis(policy.settle),
      unreadFor: policy.unreadFor
    })
    for (const stuck of lost) {
      yield* Effect.logWarning(`workflow ${stuck.execution_id}: its deferred completed but it was not resumed (${stuck.kind}); resuming it`)
      if (stuck.kind === "suspended") {
        yield* engine.resume(workflow, stuck.execution_id)
      } else {
        const shard = ShardId.ShardId.fromStringEncoded(stuck.shard_id)
        yield* storage.resetAddress(
          new EntityAddress.EntityAddress({
            shardId: ShardId.make(shard.group, shard.id),
            entityType: EntityType.EntityType.make(entityType),
            entityId: EntityId.make(stuck.execution_id)
          })
        )
      }
    }
  })

/**
 * The sweep for `workflow`, on one runner of the cluster at a time. `storage` gives the
 * cluster's own `SqlClient`. A sweep that fails (the database restarting) is logged; the next
 * one runs.
 */
export const layer = <E>(workflow: Workflow.Any, storage: Layer.Layer<SqlClient.SqlClient, E>) =>
  Layer.unwrapEffect(Effect.map(SqlClient.SqlClient, (sql) =>
    Singleton.make(
      `rest-connector/lost-resumes/${workflow.name}`,
      Effect.flatMap(LostResumeSweep, (policy) =>
        sweep(sql, workflow).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning("lost-resume sweep failed; the next one runs", cause)),
          Effect.repeat(Schedule.spaced(policy.every)),
          Effect.asVoid
        ))
    ))).pipe(Layer.provide(storage))
