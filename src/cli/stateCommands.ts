/**
 * `rest-connector loads`, `state`, `reset` and `drop`: a dataset's load history and its
 * resources' stored state, and starting resources over. The database work is the library's
 * (history.ts, storedStates.ts, dropResources.ts); these print it.
 */
import { commonOptions, withCommonOptions } from "./commonOptions.js"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as SqlClient from "@effect/sql/SqlClient"
import { Console, Effect, Option } from "effect"
import type { ResourceSpec, SecretInput } from "../internal/config/spec.js"
import { latestLoads, loadHistory, type LoadRecord } from "../internal/load/history.js"
import { readStates, type StoredState } from "../internal/load/storedStates.js"
import { readState } from "../internal/pipeline/resourceState.js"
import { table } from "./report.js"
import {
  configFile,
  databaseFor,
  databaseUrl,
  dataDir,
  dataset,
  datasetFor,
  formatTime,
  json,
  resolveDatabaseUrl,
  specFromFile,
  waitTimeout
} from "./datasetOptions.js"

const limit = Options.integer("limit").pipe(
  Options.withDescription("show at most this many loads, newest first (default: 20; 0: all)"),
  Options.filterMap((n) => (n >= 0 ? Option.some(n) : Option.none()), "--limit must be 0 or more"),
  Options.withDefault(20)
)

// Not checked against the config: loads of a resource since removed from it are still history.
const onlyResources = Options.text("resources").pipe(
  Options.withDescription("only these resources' loads, comma-separated (default: all)"),
  Options.optional
)

const tablesOf = (load: LoadRecord): ReadonlyArray<string> => Object.keys(load.rowsPerTable).sort()

/** A load's tables in a cell: the first few (the root sorts first), then how many more. */
const tablesCell = (load: LoadRecord): string => {
  const tables = tablesOf(load)
  return tables.length <= 3 ? tables.join(", ") : `${tables.slice(0, 2).join(", ")} +${tables.length - 2} more`
}

const loadJson = (load: LoadRecord) => ({
  loadId: load.loadId,
  resource: load.resource,
  tables: tablesOf(load),
  rowsPerTable: load.rowsPerTable,
  rows: load.rows,
  startedAt: load.startedAt?.toISOString() ?? null,
  finishedAt: load.finishedAt?.toISOString() ?? null,
  status: load.status,
  schemaVersion: load.schemaVersion ?? null
})

/** Where the command looks, for its messages. */
const describeWhere = (url: string | undefined, dir: string) => (url === undefined ? `embedded database in ${dir}` : "Postgres server")

const loadsCommand = Command.make("loads", { configFile, databaseUrl, dataset, dataDir, waitTimeout, json, limit, resources: onlyResources, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const url = yield* resolveDatabaseUrl(args.databaseUrl)
    const name = datasetFor(args.configFile, args.dataset)
    const history = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
      loadHistory(sql, name, {
        limit: args.limit === 0 ? undefined : args.limit,
        resources: Option.getOrUndefined(Option.map(args.resources, (list) => list.split(",").map((r) => r.trim()).filter((r) => r !== "")))
      })).pipe(
        Effect.provide(databaseFor(url, args.dataDir, args.waitTimeout))
      )
    if (args.json) {
      yield* Console.log(JSON.stringify(history.loads.map(loadJson), null, 2))
      return
    }
    if (history.total === 0) {
      yield* Console.log(`dataset '${name}' has no loads yet (${describeWhere(url, args.dataDir)})`)
      return
    }
    yield* Console.log(table(
      ["load id", "resource", "tables", "rows", "started", "finished", "status"],
      history.loads.map((l) => [l.loadId, l.resource, tablesCell(l), l.rows, formatTime(l.startedAt), formatTime(l.finishedAt), l.status])
    ))
    if (history.loads.length < history.total) {
      yield* Console.error(`the ${history.loads.length} newest of ${history.total} loads; --limit 0 shows all`)
    }
  })).pipe(Command.withDescription("list a dataset's loads (from _rc_loads), newest first"))

/** A cursor value as a cell: strings as they are, anything else as JSON. */
const valueText = (u: unknown): string => (u === undefined ? "" : typeof u === "string" ? u : JSON.stringify(u))

/** One resource's row of `state`: what the config says of its cursor, what is stored, its last load. */
const describeState = (
  name: string,
  resource: ResourceSpec<SecretInput> | undefined,
  stored: StoredState | undefined,
  last: LoadRecord | undefined
) => {
  const state = readState(stored?.state)
  const perParent = Object.keys(state.perParent ?? {}).length
  const isChild = resource?.parent !== undefined || (perParent > 0 && state.incremental === undefined)
  return {
    resource: name,
    inConfig: resource !== undefined,
    parent: resource?.parent ?? null,
    incremental: resource?.incremental === undefined
      ? null
      : { cursorPath: resource.incremental.cursorPath.source, initialValue: resource.incremental.initialValue ?? null },
    stored: stored !== undefined,
    lastValue: isChild ? null : state.incremental?.lastValue ?? null,
    perParentCursors: isChild ? perParent : null,
    stateLoadId: stored?.loadId ?? null,
    stateUpdatedAt: stored?.updatedAt?.toISOString() ?? null,
    lastLoad: last === undefined ? null : { loadId: last.loadId, finishedAt: last.finishedAt?.toISOString() ?? null },
    state: stored?.state ?? null
  }
}
type StateRow = ReturnType<typeof describeState>

const stateCells = (r: StateRow): ReadonlyArray<string | number> => [
  r.inConfig ? r.resource : `${r.resource} (not in the config)`,
  r.incremental?.cursorPath ?? "",
  r.incremental === null ? "" : valueText(r.incremental.initialValue),
  r.perParentCursors !== null ? `${r.perParentCursors} per parent record` : r.stored ? valueText(r.lastValue) : r.incremental === null ? "" : "(none stored)",
  r.lastLoad?.loadId ?? "",
  r.lastLoad === null || r.lastLoad.finishedAt === null ? "" : formatTime(new Date(r.lastLoad.finishedAt))
]

const stateCommand = Command.make("state", { configFile, databaseUrl, dataset, dataDir, waitTimeout, json, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const spec = yield* specFromFile(args.configFile)
    const url = yield* resolveDatabaseUrl(args.databaseUrl)
    const name = datasetFor(args.configFile, args.dataset)
    const [stored, last] = yield* Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.all([readStates(sql, name), latestLoads(sql, name)])).pipe(
      Effect.provide(databaseFor(url, args.dataDir, args.waitTimeout))
    )
    const byName = new Map(stored.map((s) => [s.resource, s]))
    const configured = new Set(spec.resources.map((r) => r.name))
    const rows = [
      ...spec.resources.map((r) => describeState(r.name, r, byName.get(r.name), last.get(r.name))),
      // Stored for resources the config no longer has (renamed, removed): `reset` cannot name them, `query` can.
      ...stored.filter((s) => !configured.has(s.resource)).map((s) => describeState(s.resource, undefined, s, last.get(s.resource)))
    ]
    if (args.json) {
      yield* Console.log(JSON.stringify(rows, null, 2))
      return
    }
    yield* Console.log(`dataset ${name} (${describeWhere(url, args.dataDir)})`)
    yield* Console.log(table(["resource", "cursor", "initial value", "last value", "last load", "finished"], rows.map(stateCells)))
  })).pipe(Command.withDescription("show each resource's stored incremental state (from _rc_state) and its last load"))

export const stateCommands = [withCommonOptions(loadsCommand), withCommonOptions(stateCommand)] as const
