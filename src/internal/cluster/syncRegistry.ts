/**
 * What `rest-connector status` shows of the cluster's syncs: `rc_cluster.syncs`, one row per
 * workflow execution (tenant, dataset, run, state, the resource tree in progress, started,
 * finished, last error), written by `submit` and by the workflow as it goes. The workflow's
 * writes are upserts, so a replay on another runner writes the same again.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { clusterSchema, ensureClusterTable } from "./clusterSchema.js"

export const syncsTable = `${clusterSchema}.syncs`

export type SyncState = "submitted" | "running" | "committed" | "failed"

export interface SyncRow {
  readonly execution_id: string
  readonly dataset: string
  readonly tenant: string
  readonly run: string
  readonly state: SyncState
  readonly current_resource: string | null
  /** The runner that ran it last (`host:port`); null until one starts it. */
  readonly runner: string | null
  readonly started_at: string | null
  readonly finished_at: string | null
  readonly last_error: string | null
  readonly updated_at: string
}

const createSql = `CREATE TABLE IF NOT EXISTS ${syncsTable} (
  execution_id text PRIMARY KEY, dataset text NOT NULL, tenant text NOT NULL, run text NOT NULL, state text NOT NULL,
  current_resource text, started_at timestamptz, finished_at timestamptz, last_error text, updated_at timestamptz NOT NULL, runner text);
ALTER TABLE ${syncsTable} ADD COLUMN IF NOT EXISTS runner text`

const ensured = (sql: SqlClient.SqlClient) => ensureClusterTable(sql, createSql)

export interface SyncKey {
  readonly executionId: string
  readonly dataset: string
  readonly tenant: string
  readonly run: string
}

/** The sync was submitted (kept as it is when it already runs or ran). */
export const recordSubmitted = (key: SyncKey): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.zipRight(
      ensured(sql),
      sql.unsafe(
        `INSERT INTO ${syncsTable} (execution_id, dataset, tenant, run, state, updated_at) VALUES ($1, $2, $3, $4, 'submitted', now())
        ON CONFLICT (execution_id) DO NOTHING`,
        [key.executionId, key.dataset, key.tenant, key.run]
      )
    ))

/**
 * The workflow's progress: running a tree, or ended. An ended sync stays ended: a late write
 * from a runner that lost the workflow's shard cannot mark it running again.
 */
export const recordProgress = (
  key: SyncKey,
  update: {
    readonly state: SyncState
    readonly currentResource?: string | undefined
    readonly error?: string | undefined
    readonly runner?: string | undefined
  }
): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.zipRight(
      ensured(sql),
      sql.unsafe(
        `INSERT INTO ${syncsTable} (execution_id, dataset, tenant, run, state, current_resource, started_at, finished_at, last_error, updated_at, runner)
        VALUES ($1, $2, $3, $4, $5, $6, now(), CASE WHEN $5 IN ('committed', 'failed') THEN now() END, $7, now(), $8)
        ON CONFLICT (execution_id) DO UPDATE SET state = EXCLUDED.state, current_resource = EXCLUDED.current_resource,
          started_at = COALESCE(${syncsTable}.started_at, EXCLUDED.started_at), finished_at = EXCLUDED.finished_at,
          last_error = COALESCE(EXCLUDED.last_error, ${syncsTable}.last_error), updated_at = now(),
          runner = COALESCE(EXCLUDED.runner, ${syncsTable}.runner)
        WHERE ${syncsTable}.state NOT IN ('committed', 'failed') OR EXCLUDED.state IN ('committed', 'failed')`,
        [key.executionId, key.dataset, key.tenant, key.run, update.state, update.currentResource ?? null, update.error ?? null, update.runner ?? null]
      )
    ))

/** The newest syncs first. */
export const listSyncs = (limit: number): Effect.Effect<ReadonlyArray<SyncRow>, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.zipRight(
      ensured(sql),
      sql.unsafe<SyncRow>(
        `SELECT execution_id, dataset, tenant, run, state, current_resource, runner, started_at::text, finished_at::text, last_error, updated_at::text
        FROM ${syncsTable} ORDER BY updated_at DESC LIMIT ${Math.max(1, Math.floor(limit))}`
      ).withoutTransform
    ))

export interface RunnerRow {
  readonly address: string
  readonly healthy: boolean
  readonly last_heartbeat: string
  /**
   * A heartbeat within the cluster's shard lock expiration (35 s): the cluster counts the runner.
   * A killed runner's row stays until a runner leaving cleans old rows; it is not alive.
   */
  readonly alive: boolean
}

/** How long the cluster counts a runner without a heartbeat (@effect/cluster's `shardLockExpiration`). */
const runnerExpirySeconds = 35

/** The runners the cluster knows (none before the first runner started). */
export const listRunners: Effect.Effect<ReadonlyArray<RunnerRow>, SqlError, SqlClient.SqlClient> = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    Effect.flatMap(
      sql.unsafe<{ present: boolean }>(`SELECT to_regclass('${clusterSchema}.cluster_runners') IS NOT NULL AS present`).withoutTransform,
      (rows) =>
        rows[0]?.present === true
          ? sql.unsafe<RunnerRow>(`SELECT address, healthy, last_heartbeat::text, last_heartbeat > now() - interval '${runnerExpirySeconds} seconds' AS alive
              FROM ${clusterSchema}.cluster_runners ORDER BY address`).withoutTransform
          : Effect.succeed([])
    )
)
