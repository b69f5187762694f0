/**
 * Scheduled syncs on the cluster: `rest-connector schedule` stores a schedule (config, dataset,
 * tenant, cron) in `rc_cluster.schedules` beside the cluster's tables; every runner registers a
 * `ClusterCron` that fires once a minute on one runner of the cluster, and that tick submits the
 * sync of every schedule due in that minute, with the minute as the run's id. The workflow's
 * idempotency key (dataset, tenant, config hash, run) makes a tick submitted twice one sync: exactly
 * one run per tick, however many runners.
 */
import * as ClusterCron from "@effect/cluster/ClusterCron"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import { Clock, Cron, Data, Effect, Either, Schema } from "effect"
import { clusterSchema, ensureClusterTable } from "./clusterSchema.js"
import * as Sync from "./syncWorkflow.js"

export const schedulesTable = `${clusterSchema}.schedules`

export interface Schedule {
  readonly name: string
  readonly config: string
  readonly configHash: string
  readonly dataset: string
  readonly tenant: string
  /** A cron expression (minutes, hours, days, months, weekdays), in UTC. */
  readonly cron: string
  /** The tenant's values for `{params.NAME}` (`--params`). */
  readonly params: Readonly<Record<string, string>>
}

export class ScheduleError extends Data.TaggedError("ScheduleError")<{ readonly message: string }> {}

/** `15m` → `*\/15 * * * *`, `2h` → `0 *\/2 * * *`: intervals that divide an hour or a day. */
export const cronForEvery = (every: string): Either.Either<string, ScheduleError> => {
  const m = /^(\d+)\s*(m|min|h)$/.exec(every.trim())
  const n = m === null ? Number.NaN : Number(m[1])
  if (m !== null && m[2] !== "h" && n >= 1 && n <= 60 && 60 % n === 0) return Either.right(n === 60 ? "0 * * * *" : `*/${n} * * * *`)
  if (m !== null && m[2] === "h" && n >= 1 && n <= 24 && 24 % n === 0) return Either.right(n === 24 ? "0 0 * * *" : `0 */${n} * * *`)
  return Either.left(new ScheduleError({ message: `--every ${every}: use minutes that divide an hour (1m, 5m, 15m, 30m) or hours that divide a day (1h, 6h, 24h)` }))
}

export const parseCron = (expression: string): Either.Either<Cron.Cron, ScheduleError> =>
  Either.mapLeft(Cron.parse(expression, "UTC"), (e) => new ScheduleError({ message: `--cron ${expression}: ${e.message}` }))

const createSql = `CREATE TABLE IF NOT EXISTS ${schedulesTable} (
  name text PRIMARY KEY, config text NOT NULL, config_hash text NOT NULL, dataset text NOT NULL,
  tenant text NOT NULL, cron text NOT NULL, updated_at timestamptz NOT NULL, params jsonb NOT NULL DEFAULT '{}');
ALTER TABLE ${schedulesTable} ADD COLUMN IF NOT EXISTS params jsonb NOT NULL DEFAULT '{}'`

const ensured = (sql: SqlClient.SqlClient) => ensureClusterTable(sql, createSql)

/** Adds a schedule, or replaces the one of that name. */
export const upsertSchedule = (schedule: Schedule): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.zipRight(
      ensured(sql),
      sql.unsafe(
        `INSERT INTO ${schedulesTable} (name, config, config_hash, dataset, tenant, cron, params, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, now())
        ON CONFLICT (name) DO UPDATE SET config = EXCLUDED.config, config_hash = EXCLUDED.config_hash, dataset = EXCLUDED.dataset,
          tenant = EXCLUDED.tenant, cron = EXCLUDED.cron, params = EXCLUDED.params, updated_at = EXCLUDED.updated_at`,
        [schedule.name, schedule.config, schedule.configHash, schedule.dataset, schedule.tenant, schedule.cron, JSON.stringify(schedule.params)]
      )
    ))

/** Removes the schedule of that name; false when there was none. Ticks after it submit nothing for it. */
export const removeSchedule = (name: string): Effect.Effect<boolean, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.zipRight(
      ensured(sql),
      sql.unsafe<{ name: string }>(`DELETE FROM ${schedulesTable} WHERE name = $1 RETURNING name`, [name]).withoutTransform
    ).pipe(Effect.map((rows) => rows.length > 0)))

export const readSchedules: Effect.Effect<ReadonlyArray<Schedule>, SqlError, SqlClient.SqlClient> = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    Effect.zipRight(
      ensured(sql),
      sql.unsafe<{ name: string; config: string; config_hash: string; dataset: string; tenant: string; cron: string; params: string }>(
        `SELECT name, config, config_hash, dataset, tenant, cron, params::text AS params FROM ${schedulesTable} ORDER BY name`
      ).withoutTransform
    ).pipe(Effect.map((rows) => rows.map((r) => ({ ...r, configHash: r.config_hash, params: paramsOf(r.params) }))))
)

/** The stored params (a JSON object of strings; anything else reads as none). */
const paramsOf = (text: string): Readonly<Record<string, string>> => {
  const decoded = Schema.decodeUnknownEither(Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.String })))(text)
  return Either.getOrElse(decoded, () => ({}))
}

/** The schedules due in the minute of `now` (UTC), with that minute as their run's id. */
export const dueAt = (schedules: ReadonlyArray<Schedule>, now: Date): ReadonlyArray<{ readonly schedule: Schedule; readonly run: string }> => {
  const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000)
  return schedules.flatMap((schedule) => {
    const cron = Cron.parse(schedule.cron, "UTC")
    return Either.isRight(cron) && Cron.match(cron.right, minute)
      ? [{ schedule, run: `schedule:${schedule.name}:${minute.toISOString()}` }]
      : []
  })
}

/** The tick of the minute of `now`: submits every due schedule's sync (without waiting for it); returns the runs submitted. */
export const tickAt = (now: Date): Effect.Effect<ReadonlyArray<string>, SqlError, SqlClient.SqlClient | WorkflowEngine> =>
  Effect.gen(function*() {
  const due = dueAt(yield* readSchedules, now)
  for (const { run, schedule } of due) {
    yield* Sync.SyncWorkflow.execute(
      { config: schedule.config, configHash: schedule.configHash, dataset: schedule.dataset, tenant: schedule.tenant, run, params: schedule.params },
      { discard: true }
    )
    yield* Effect.logInfo(`schedule ${schedule.name}: submitted the sync of ${schedule.dataset} for ${run.slice(-24)}`)
  }
  return due.map((d) => d.run)
})

/** The tick of this minute. */
export const tick = Effect.flatMap(Clock.currentTimeMillis, (millis) => tickAt(new Date(millis)))

/** On every runner: the once-a-minute tick, run by one runner of the cluster at a time. */
export const cronLayer = ClusterCron.make({
  name: "rest-connector/schedules",
  cron: Cron.unsafeParse("* * * * *", "UTC"),
  execute: tick.pipe(Effect.asVoid, Effect.catchAll((e) => Effect.logWarning(`schedules: ${e.message}`)))
})
