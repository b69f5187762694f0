/**
 * Staging: the `<dataset>_staging` schema, a staging table per final table and load, and the
 * registry that names each staging table's owner (resource and load), so that the leftovers of
 * a killed run are found and dropped by the next load of the same resource.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { ColumnSchema, TableSchema } from "../normalize/tableSchema.js"
import { SystemColumns } from "../normalize/tableSchema.js"
import type { DestinationError } from "./destination.js"
import { ident, qualified, stagingSchemaName, stagingTableName, SystemTables } from "./identifiers.js"
import type { LoadState, StagedTable } from "./loadState.js"
import { exec, exists, query, unitOfWork } from "./sqlSession.js"
import { addColumnsSql, createTableSql, dropTablesSql, lockKey, lockSql, tableExistsSql } from "./sqlText.js"

const registryTable = SystemTables.stagingRegistry

const createRegistrySql = (stagingSchema: string) =>
  `CREATE TABLE IF NOT EXISTS ${
    qualified(stagingSchema, registryTable)
  } (table_name text PRIMARY KEY, resource text NOT NULL, load_id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`

const registerStagingSql = (stagingSchema: string) =>
  `INSERT INTO ${qualified(stagingSchema, registryTable)} (table_name, resource, load_id) VALUES ($1, $2, $3)
  ON CONFLICT (table_name) DO NOTHING`

const unregisterStagingSql = (stagingSchema: string) =>
  `DELETE FROM ${qualified(stagingSchema, registryTable)} WHERE resource = $1 AND load_id = $2`

/** Staging-only: the root record's ordinal within the load. */
const seqColumn: ColumnSchema = { name: SystemColumns.seq, type: "bigint", nullable: true }

/** Drops the registered staging tables of `stagingKey` (of one load, or of every load). */
export const dropStaging = (
  sql: SqlClient.SqlClient,
  dataset: string,
  stagingKey: string,
  loadId: string | undefined
): Effect.Effect<void, DestinationError> =>
  Effect.gen(function*() {
    const stagingSchema = stagingSchemaName(dataset)
    const what = "dropping staging tables"
    const present = yield* exists(sql, tableExistsSql, qualified(stagingSchema, registryTable), what, dataset)
    if (!present) return
    const filter = loadId === undefined ? "resource = $1" : "resource = $1 AND load_id = $2"
    const params = loadId === undefined ? [stagingKey] : [stagingKey, loadId]
    yield* unitOfWork(
      sql,
      what,
      dataset,
      Effect.gen(function*() {
        const rows = yield* query<{ readonly tname: string }>(
          sql,
          `SELECT table_name AS tname FROM ${qualified(stagingSchema, registryTable)} WHERE ${filter}`,
          params,
          what,
          dataset
        )
        if (rows.length === 0) return
        yield* exec(sql, dropTablesSql(stagingSchema, rows.map((r) => r.tname)), [], what, dataset)
        yield* exec(sql, `DELETE FROM ${qualified(stagingSchema, registryTable)} WHERE ${filter}`, params, what, dataset)
      })
    )
  })

/** Drops this load's staging tables and their registration (in the commit's transaction). */
export const dropOwnStaging = (state: LoadState): Effect.Effect<void, DestinationError> =>
  Effect.gen(function*() {
    if (state.staged.size === 0) return
    const { dataset, sql, stagingSchema } = state
    const tables = [...state.staged.values()].map((t) => t.staging)
    yield* exec(sql, dropTablesSql(stagingSchema, tables), [], "dropping staging tables", dataset)
    yield* exec(sql, unregisterStagingSql(stagingSchema), [state.stagingKey, state.loadId], "dropping staging tables", dataset)
  })

const ensureStagingSchema = (state: LoadState): Effect.Effect<void, DestinationError> =>
  Effect.suspend(() => {
    if (state.stagingReady) return Effect.void
    const { dataset, sql, stagingSchema } = state
    const what = "creating the staging schema"
    return unitOfWork(
      sql,
      what,
      dataset,
      Effect.gen(function*() {
        yield* exec(sql, lockSql, [lockKey(stagingSchema)], what, dataset)
        yield* exec(sql, `CREATE SCHEMA IF NOT EXISTS ${ident(stagingSchema)}`, [], what, dataset)
        yield* exec(sql, createRegistrySql(stagingSchema), [], what, dataset)
      })
    ).pipe(Effect.tap(() => {
      state.stagingReady = true
    }))
  })

/** The staging table of `schema`, created or widened to all of its columns. */
export const ensureStagingTable = (state: LoadState, schema: TableSchema): Effect.Effect<StagedTable, DestinationError> => {
  // Nearly every page: the table exists with every column already.
  const existing = state.staged.get(schema.name)
  if (existing !== undefined) existing.schema = schema
  if (existing !== undefined && schema.columns.every((c) => existing.columns.has(c.name))) return Effect.succeed(existing)
  return existing === undefined ? createStagingTable(state, schema) : widenStagingTable(state, existing, schema)
}

/** Staging columns: the schema's, plus `_rc_seq`. */
const stagingColumns = (schema: TableSchema): ReadonlyArray<ColumnSchema> =>
  schema.columns.some((c) => c.name === SystemColumns.seq) ? schema.columns : [...schema.columns, seqColumn]

const createStagingTable = (state: LoadState, schema: TableSchema): Effect.Effect<StagedTable, DestinationError> =>
  Effect.gen(function*() {
    const { dataset, loadId, sql, stagingKey, stagingSchema } = state
    const wanted = stagingColumns(schema)
    yield* ensureStagingSchema(state)
    const staging = stagingTableName(schema.name, loadId, stagingKey)
    const what = "creating a staging table"
    // Registered first: a run killed right after still finds the table to clean up.
    yield* exec(sql, registerStagingSql(stagingSchema), [staging, stagingKey, loadId], what, dataset, schema.name)
    const swapCandidate = state.swappable &&
      !(yield* exists(sql, tableExistsSql, qualified(dataset, schema.name), what, dataset))
    const create = createTableSql(stagingSchema, staging, wanted, { staging: swapCandidate ? "logged" : "unlogged" })
    yield* exec(sql, create, [], what, dataset, schema.name)
    const entry: StagedTable = {
      table: schema.name,
      staging,
      parent: schema.parent,
      schema,
      columns: new Map(wanted.map((c) => [c.name, c])),
      rows: 0,
      swapCandidate
    }
    state.staged.set(schema.name, entry)
    return entry
  })

const widenStagingTable = (
  state: LoadState,
  existing: StagedTable,
  schema: TableSchema
): Effect.Effect<StagedTable, DestinationError> =>
  Effect.gen(function*() {
    const missing = stagingColumns(schema).filter((c) => !existing.columns.has(c.name))
    if (missing.length > 0) {
      yield* exec(
        state.sql,
        addColumnsSql(state.stagingSchema, existing.staging, missing),
        [],
        "adding staging columns",
        state.dataset,
        schema.name
      )
      for (const c of missing) existing.columns.set(c.name, c)
    }
    return existing
  })
