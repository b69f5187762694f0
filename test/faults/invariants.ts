/**
 * What a dataset must look like whatever happened to the run writing it (a SIGKILL, a database
 * backend terminated, a response broken mid-body, a hostile config):
 * - no `_rc_id` twice in a table (and none missing);
 * - no orphan: every child row's `_rc_parent_id` and `_rc_root_id` name a stored row of its
 *   parent and root table (links from `_rc_tables`);
 * - every `_rc_load_id` in the data, and every `_rc_state.load_id`, is a committed load of `_rc_loads`.
 * And `snapshot`: each table's rows (without `_rc_load_id`, which every merge rewrites) and the
 * stored incremental state, to compare a disturbed dataset with an undisturbed one.
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { ident, qualified, stagingSchemaName, SystemTables } from "../../src/internal/load/identifiers.js"

type Columns = ReadonlyMap<string, ReadonlySet<string>>

/** Tables of a schema and their columns. */
const tablesOf = (sql: SqlClient.SqlClient, schema: string): Effect.Effect<Columns, SqlError> =>
  Effect.map(
    sql.unsafe<{ readonly table_name: string; readonly column_name: string }>(
      `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
       WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE'`,
      [schema]
    ),
    (rows) => {
      const out = new Map<string, Set<string>>()
      for (const r of rows) {
        const set = out.get(r.table_name) ?? new Set<string>()
        set.add(r.column_name)
        out.set(r.table_name, set)
      }
      return out
    }
  )

const isSystem = (table: string) => table.startsWith("_rc_")

const count = (sql: SqlClient.SqlClient, text: string, params: ReadonlyArray<string> = []) =>
  Effect.map(sql.unsafe<{ readonly n: number }>(text, params), (rows) => Number(rows[0]?.n ?? 0))

/** Every broken invariant of `dataset`, one line each (empty: all hold). Scd2 tables are not expected here. */
export const violations = (dataset: string): Effect.Effect<ReadonlyArray<string>, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const tables = yield* tablesOf(sql, dataset)
    const out: Array<string> = []
    const t = (name: string) => qualified(dataset, name)
    const committed = tables.has(SystemTables.loads)
      ? `(SELECT load_id FROM ${t(SystemTables.loads)} WHERE status = 'committed')`
      : "(SELECT NULL::text WHERE false)"
    for (const [table, columns] of tables) {
      if (isSystem(table)) continue
      if (columns.has("_rc_id")) {
        const dup = yield* count(sql, `SELECT (count(*) - count(DISTINCT _rc_id))::int AS n FROM ${t(table)}`)
        if (dup > 0) out.push(`${table}: ${dup} duplicate _rc_id`)
        const missing = yield* count(sql, `SELECT count(*)::int AS n FROM ${t(table)} WHERE _rc_id IS NULL`)
        if (missing > 0) out.push(`${table}: ${missing} rows without _rc_id`)
      }
      if (columns.has("_rc_load_id")) {
        const stray = yield* sql.unsafe<{ readonly id: string | null }>(
          `SELECT DISTINCT _rc_load_id AS id FROM ${t(table)} WHERE _rc_load_id IS NULL OR _rc_load_id NOT IN ${committed}`
        )
        if (stray.length > 0) out.push(`${table}: load ids not committed in _rc_loads: ${stray.map((s) => s.id).join(", ")}`)
      }
    }
    const links = tables.has(SystemTables.tables)
      ? yield* sql.unsafe<{ readonly table_name: string; readonly parent_name: string | null; readonly root_name: string }>(
        `SELECT table_name, parent_name, root_name FROM ${t(SystemTables.tables)}`
      )
      : []
    const linked = new Set(links.filter((l) => l.parent_name !== null).map((l) => l.table_name))
    for (const link of links) {
      if (link.parent_name === null || !tables.has(link.table_name)) continue
      for (const [column, target] of [["_rc_parent_id", link.parent_name], ["_rc_root_id", link.root_name]] as const) {
        if (!tables.has(target)) {
          const rows = yield* count(sql, `SELECT count(*)::int AS n FROM ${t(link.table_name)}`)
          if (rows > 0) out.push(`${link.table_name}: ${rows} rows but its ${column} table ${target} does not exist`)
          continue
        }
        const orphans = yield* count(
          sql,
          `SELECT count(*)::int AS n FROM ${t(link.table_name)} c
           WHERE NOT EXISTS (SELECT 1 FROM ${t(target)} p WHERE p._rc_id = c.${ident(column)})`
        )
        if (orphans > 0) out.push(`${link.table_name}: ${orphans} orphan rows (${column} not in ${target})`)
      }
    }
    for (const [table, columns] of tables) {
      if (isSystem(table) || !columns.has("_rc_parent_id") || linked.has(table)) continue
      const rows = yield* count(sql, `SELECT count(*)::int AS n FROM ${t(table)}`)
      if (rows > 0) out.push(`${table}: ${rows} child rows but no parent link in _rc_tables`)
    }
    if (tables.has(SystemTables.state)) {
      const stray = yield* sql.unsafe<{ readonly resource: string; readonly load_id: string }>(
        `SELECT resource, load_id FROM ${t(SystemTables.state)} WHERE load_id IS NOT NULL AND load_id NOT IN ${committed}`
      )
      for (const s of stray) out.push(`_rc_state: state of ${s.resource} from load ${s.load_id}, which is not committed`)
    }
    return out
  })

/** Staging tables of `dataset` besides the registry, and registry rows (left by killed runs). */
export const stagingLeftovers = (dataset: string): Effect.Effect<ReadonlyArray<string>, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const schema = stagingSchemaName(dataset)
    const tables = [...(yield* tablesOf(sql, schema)).keys()].filter((name) => name !== SystemTables.stagingRegistry)
    const registry = (yield* tablesOf(sql, schema)).has(SystemTables.stagingRegistry)
      ? yield* sql.unsafe<{ readonly table_name: string }>(`SELECT table_name FROM ${qualified(schema, SystemTables.stagingRegistry)}`)
      : []
    return [...tables.map((name) => `table ${name}`), ...registry.map((r) => `registered ${r.table_name}`)].sort()
  })

/** Per data table `rows:md5` of its rows without `_rc_load_id`; `_rc_state` and `_rc_tables` by content. */
export const snapshot = (dataset: string): Effect.Effect<Record<string, string>, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const tables = yield* tablesOf(sql, dataset)
    const out: Record<string, string> = {}
    for (const [table, columns] of [...tables].sort(([a], [b]) => a.localeCompare(b))) {
      if (isSystem(table)) continue
      const order = columns.has("_rc_id") ? "t._rc_id" : "(to_jsonb(t))::text"
      const rows = yield* sql.unsafe<{ readonly n: number; readonly digest: string | null }>(
        `SELECT count(*)::int AS n, md5(string_agg((to_jsonb(t) - '_rc_load_id')::text, ',' ORDER BY ${order})) AS digest
         FROM ${qualified(dataset, table)} t`
      )
      out[table] = `${rows[0]?.n}:${rows[0]?.digest}`
    }
    if (tables.has(SystemTables.state)) {
      const states = yield* sql.unsafe<{ readonly resource: string; readonly state: string | null }>(
        `SELECT resource, state::text AS state FROM ${qualified(dataset, SystemTables.state)} ORDER BY resource`
      )
      for (const s of states) out[`${SystemTables.state}:${s.resource}`] = s.state ?? "null"
    }
    if (tables.has(SystemTables.tables)) {
      const links = yield* sql.unsafe<{ readonly line: string }>(
        `SELECT table_name || ' < ' || coalesce(parent_name, '-') || ' < ' || root_name AS line
         FROM ${qualified(dataset, SystemTables.tables)} ORDER BY table_name`
      )
      out[SystemTables.tables] = links.map((l) => l.line).join("; ")
    }
    return out
  })
