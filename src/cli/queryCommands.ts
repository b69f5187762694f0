/**
 * `rest-connector query` (one read-only SQL statement against a dataset, printed as a table or
 * JSON) and `rest-connector serve-db` (the embedded database on a loopback port, for psql and
 * other tools, until SIGINT/SIGTERM).
 */
import { setStoppingNote } from "./signals.js"
import { commonOptions, withCommonOptions } from "./commonOptions.js"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Console, Duration, Effect, Option } from "effect"
import * as path from "node:path"
import * as Embedded from "../internal/load/embedded.js"
import { type QueryError, type QueryResult, readOnlyQuery, rowObjects } from "../internal/load/readOnlyQuery.js"
import { table } from "./report.js"
import {
  configFile,
  databaseFor,
  databaseUrl,
  dataDir,
  dataset,
  datasetFor,
  json,
  resolveDatabaseUrl,
  UsageError,
  waitTimeout
} from "./datasetOptions.js"

const statement = Args.text({ name: "sql" }).pipe(
  Args.withDescription("one SQL statement; unqualified table names are the dataset's")
)

/** A value in a table cell: NULL as nothing (as psql shows it), line breaks visible. */
const cell = (value: string | null): string =>
  value === null ? "" : value.replaceAll("\r", "\\r").replaceAll("\n", "\\n").replaceAll("\t", "\\t")

const printTable = (result: QueryResult): string => {
  if (result.columns.length === 0) return result.command
  const rows = result.rows.map((r) => r.map(cell))
  return `${table(result.columns.map((c) => c.name), rows)}\n(${rows.length} row${rows.length === 1 ? "" : "s"})`
}

/** A missing table in a dataset that does not exist: say that, rather than only the table. */
const explain = (error: QueryError, name: string) =>
  Effect.gen(function*() {
    if (error.reason === "MultipleStatements") return new UsageError({ message: `${error.message}; give one statement` })
    if (error.reason !== "Statement" || !error.message.includes("42P01")) return error
    const sql = yield* SqlClient.SqlClient
    const found = yield* sql.unsafe<{ present: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS present", [
      name
    ]).pipe(Effect.orElseSucceed(() => [{ present: true }]))
    return found[0]?.present === false
      ? new UsageError({ message: `${error.message}; dataset '${name}' does not exist (nothing was loaded into it yet)` })
      : error
  })

const queryCommand = Command.make("query", { configFile, statement, databaseUrl, dataset, dataDir, waitTimeout, json, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const url = yield* resolveDatabaseUrl(args.databaseUrl)
    const name = datasetFor(args.configFile, args.dataset)
    yield* Effect.gen(function*() {
      const result = yield* readOnlyQuery(name, args.statement).pipe(
        Effect.catchAll((e) => Effect.flatMap(explain(e, name), Effect.fail))
      )
      yield* Console.log(args.json ? JSON.stringify(rowObjects(result), null, 2) : printTable(result))
    }).pipe(Effect.provide(databaseFor(url, args.dataDir, args.waitTimeout)))
  })).pipe(
    Command.withDescription("run one read-only SQL statement in a config's dataset and print the rows (a table, or --json)")
  )

const host = Options.text("host").pipe(
  Options.withDescription("the loopback address to listen on (default: 127.0.0.1)"),
  Options.withDefault("127.0.0.1")
)
export const port = Options.integer("port").pipe(
  Options.withDescription("the port to listen on; 0 picks a free one (default: 0)"),
  Options.filterMap((n) => (n >= 0 && n <= 65535 ? Option.some(n) : Option.none()), "--port must be 0 to 65535"),
  Options.withDefault(0)
)

/** The server has no authentication: loopback only. */
export const isLoopback = (address: string): boolean => /^127(\.\d{1,3}){3}$/.test(address) || address === "::1" || address === "localhost"

const serveFailed = (e: SqlError) =>
  new Error(`${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ""}`)

const serveCommand = Command.make("serve-db", { dataDir, waitTimeout, host, port, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    if (!isLoopback(args.host)) {
      return yield* Effect.fail(
        new UsageError({ message: `--host ${args.host} is not a loopback address: the embedded database has no authentication` })
      )
    }
    const where = yield* Embedded.serve({
      dataDir: args.dataDir,
      host: args.host,
      port: args.port,
      waitTimeout: Duration.seconds(args.waitTimeout)
    }).pipe(Effect.mapError(serveFailed))
    const hostInUrl = where.host.includes(":") ? `[${where.host}]` : where.host
    const url = `postgres://postgres@${hostInUrl}:${where.port}/postgres`
    yield* Console.error(
      `serving the embedded database in ${path.resolve(args.dataDir)} on ${where.host}:${where.port} until Ctrl-C (SIGINT) or SIGTERM\n` +
        `connect with: psql ${url}   (each dataset is a schema: SET search_path TO <dataset>)`
    )
    yield* Console.log(url)
    yield* Effect.sync(() => setStoppingNote("closing the database (it flushes its folder)"))
    return yield* Effect.never
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription("serve the embedded database on a loopback port for psql and other Postgres tools, printing its URL")
  )

export const queryCommands = [withCommonOptions(queryCommand), withCommonOptions(serveCommand)] as const
