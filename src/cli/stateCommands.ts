/**
 * `rest-connector loads`, `state`, `reset` and `drop`: a dataset's load history and its
 * resources' stored state, and starting resources over. The database work is the library's
 * (history.ts, storedStates.ts, dropResources.ts); these print it.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as SqlClient from "@effect/sql/SqlClient"
import { Console, Effect, Option } from "effect"
import { loadHistory, type LoadRecord } from "../internal/load/history.js"
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
  resolveDatabaseUrl
} from "./datasetOptions.js"

const limit = Options.integer("limit").pipe(
  Options.withDescription("show at most this many loads, newest first (default: 20; 0: all)"),
  Options.filterMap((n) => (n >= 0 ? Option.some(n) : Option.none()), "--limit must be 0 or more"),
  Options.withDefault(20)
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

const loadsCommand = Command.make("loads", { configFile, databaseUrl, dataset, dataDir, json, limit }, (args) =>
  Effect.gen(function*() {
    const url = yield* resolveDatabaseUrl(args.databaseUrl)
    const name = datasetFor(args.configFile, args.dataset)
    const history = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
      loadHistory(sql, name, { limit: args.limit === 0 ? undefined : args.limit })).pipe(
        Effect.provide(databaseFor(url, args.dataDir))
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

export const stateCommands = [loadsCommand] as const
