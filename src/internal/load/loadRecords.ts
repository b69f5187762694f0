/**
 * The dataset's records of loads: `_rc_loads` (one row per committed resource load),
 * `_rc_state` (each resource's state, as jsonb) and `_rc_version` (each distinct schema of a
 * resource's tables). Written in the commit's transaction.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { ColumnSchema } from "../normalize/tableSchema.js"
import type { DestinationError } from "./destination.js"
import { destinationError } from "./destinationErrors.js"
import { qualified, SystemTables } from "./identifiers.js"
import type { SchemaVersion } from "./schemaVersion.js"
import { exec, exists, query } from "./sqlSession.js"
import { tableExistsSql } from "./sqlText.js"

const { commits: commitsTable, loads: loadsTable, state: stateTable, version: versionTable } = SystemTables

/** `_rc_loads` columns; datasets written by older versions lack the newer ones (see `planDdl`). */
export const loadsColumns: ReadonlyArray<ColumnSchema> = [
  { name: "load_id", type: "text", nullable: false },
  { name: "resource", type: "text", nullable: false },
  { name: "started_at", type: "timestamptz", nullable: true },
  { name: "finished_at", type: "timestamptz", nullable: true },
  { name: "rows", type: "jsonb", nullable: true },
  { name: "status", type: "text", nullable: false },
  { name: "schema_version", type: "text", nullable: true }
]

export const createVersionSql = (schema: string): string =>
  `CREATE TABLE IF NOT EXISTS ${
    qualified(schema, versionTable)
  } (version_hash text PRIMARY KEY, resource text NOT NULL, schema jsonb NOT NULL, inserted_at timestamptz NOT NULL)`

const insertVersionSql = (schema: string) =>
  `INSERT INTO ${qualified(schema, versionTable)} (version_hash, resource, schema, inserted_at)
  VALUES ($1, $2, $3::jsonb, clock_timestamp()) ON CONFLICT (version_hash) DO NOTHING`

export const createStateSql = (schema: string): string =>
  `CREATE TABLE IF NOT EXISTS ${qualified(schema, stateTable)} (resource text PRIMARY KEY, state jsonb, load_id text, updated_at timestamptz)`

const insertLoadSql = (schema: string) =>
  `INSERT INTO ${qualified(schema, loadsTable)} (load_id, resource, started_at, finished_at, rows, status, schema_version)
  VALUES ($1, $2, $3::timestamptz, clock_timestamp(), $4::jsonb, 'committed', $5)`

const upsertStateSql = (schema: string) =>
  `INSERT INTO ${qualified(schema, stateTable)} (resource, state, load_id, updated_at)
  VALUES ($1, $2::jsonb, $3, clock_timestamp())
  ON CONFLICT (resource) DO UPDATE SET state = EXCLUDED.state, load_id = EXCLUDED.load_id, updated_at = EXCLUDED.updated_at`

export interface CommittedLoad {
  readonly dataset: string
  readonly resource: string
  readonly loadId: string
  readonly startedAt: Date
  readonly rowsPerTable: Readonly<Record<string, number>>
  readonly version: SchemaVersion
  /** Resource state to store; undefined keeps the stored one. */
  readonly state: unknown
}

/** The schema version, the `_rc_loads` row and the state of a load, in the caller's transaction. */
export const recordLoad = (sql: SqlClient.SqlClient, load: CommittedLoad): Effect.Effect<void, DestinationError> =>
  Effect.gen(function*() {
    const { dataset, resource, version } = load
    yield* exec(
      sql,
      insertVersionSql(dataset),
      [version.hash, resource, version.json],
      "recording the schema version",
      dataset,
      versionTable
    )
    yield* exec(
      sql,
      insertLoadSql(dataset),
      [load.loadId, resource, load.startedAt.toISOString(), JSON.stringify(load.rowsPerTable), version.hash],
      "recording the load",
      dataset,
      loadsTable
    )
    if (load.state !== undefined) {
      yield* exec(
        sql,
        upsertStateSql(dataset),
        // JSON text, not a JS value: arrays would be sent as Postgres arrays (pitfall 6).
        [resource, JSON.stringify(load.state), load.loadId],
        "storing the resource state",
        dataset,
        stateTable
      )
    }
  })

/** Stored `_rc_state` of a resource, if any. */
export const readState = (
  sql: SqlClient.SqlClient,
  dataset: string,
  resource: string
): Effect.Effect<unknown, DestinationError> =>
  Effect.gen(function*() {
    const what = "reading the resource state"
    const present = yield* exists(sql, tableExistsSql, qualified(dataset, stateTable), what, dataset)
    if (!present) return undefined
    // state::text: parse ourselves so a client's JSON name transforms never touch user state.
    const rows = yield* query<{ readonly state: string | null }>(
      sql,
      `SELECT state::text AS state FROM ${qualified(dataset, stateTable)} WHERE resource = $1`,
      [resource],
      what,
      dataset
    )
    const text = rows[0]?.state
    if (text === undefined || text === null) return undefined
    return yield* Effect.try({
      try: (): unknown => JSON.parse(text),
      catch: destinationError(what, dataset, stateTable)
    })
  })

/**
 * `_rc_commits`: the commit keys of resource commits that carry one (a workflow activity's id).
 * Claimed in the commit's transaction, so a retried attempt whose first try committed (and then
 * lost its answer: a crash, a killed runner) rolls back instead of committing twice.
 */
export const createCommitsSql = (schema: string): string =>
  `CREATE TABLE IF NOT EXISTS ${
    qualified(schema, commitsTable)
  } (commit_key text PRIMARY KEY, resource text NOT NULL, load_id text NOT NULL, rows jsonb, committed_at timestamptz NOT NULL)`

/** The commit that holds a key already: its load and rows. */
export interface EarlierCommit {
  readonly loadId: string
  readonly rowsPerTable: Readonly<Record<string, number>>
}

const isCounts = (u: unknown): u is Record<string, number> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && Object.values(u).every((v) => typeof v === "number")

/** Claims `key` for this commit; the earlier commit when another one holds it. */
export const claimCommit = (
  sql: SqlClient.SqlClient,
  claim: { readonly dataset: string; readonly key: string; readonly resource: string; readonly loadId: string; readonly rowsPerTable: Readonly<Record<string, number>> }
): Effect.Effect<EarlierCommit | undefined, DestinationError> =>
  Effect.gen(function*() {
    const table = qualified(claim.dataset, commitsTable)
    const claimed = yield* query<{ commit_key: string }>(
      sql,
      `INSERT INTO ${table} (commit_key, resource, load_id, rows, committed_at) VALUES ($1, $2, $3, $4::jsonb, clock_timestamp())
      ON CONFLICT (commit_key) DO NOTHING RETURNING commit_key`,
      [claim.key, claim.resource, claim.loadId, JSON.stringify(claim.rowsPerTable)],
      `claiming commit key of ${claim.resource}`,
      claim.dataset
    )
    if (claimed.length > 0) return undefined
    const earlier = yield* query<{ load_id: string; rows: unknown }>(
      sql,
      `SELECT load_id, rows FROM ${table} WHERE commit_key = $1`,
      [claim.key],
      `reading the commit key of ${claim.resource}`,
      claim.dataset
    )
    const row = earlier[0]
    return { loadId: row?.load_id ?? "", rowsPerTable: isCounts(row?.rows) ? row.rows : {} }
  })

/**
 * The commits already made under these keys (key → its load and rows), read before a retried
 * tree runs, so it resumes at its first uncommitted resource instead of reading the committed
 * ones again only to roll them back. None when the dataset has no commit keys' table yet.
 */
export const committedUnder = (
  sql: SqlClient.SqlClient,
  dataset: string,
  keys: ReadonlyArray<string>
): Effect.Effect<ReadonlyMap<string, EarlierCommit>, DestinationError> =>
  Effect.gen(function*() {
    const table = qualified(dataset, commitsTable)
    const present = yield* exists(sql, `SELECT to_regclass($1) IS NOT NULL AS present`, table, "looking for the commit keys' table", dataset)
    if (!present || keys.length === 0) return new Map()
    const rows = yield* query<{ commit_key: string; load_id: string; rows: unknown }>(
      sql,
      `SELECT commit_key, load_id, rows FROM ${table} WHERE commit_key IN (SELECT jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify(keys)],
      "reading commit keys",
      dataset
    )
    return new Map(rows.map((r) => [r.commit_key, { loadId: r.load_id, rowsPerTable: isCounts(r.rows) ? r.rows : {} }]))
  })
