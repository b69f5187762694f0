/**
 * The `rest-connector` commands (DESIGN.md §3): run, check, schema, demo.
 * Each command is a thin shell over the library: it builds the layers and prints.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Clock, ConfigProvider, Console, Effect, Layer, Option } from "effect"
import { existsSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { DEFAULT_ROWS, startDemoApi } from "./demo/demoApi.js"
import { apiLayer, defaultDataset, sourceFromFile, storageLayer } from "./connector.js"
import { configFile, databaseUrl, dataDir, dataset, resolveDatabaseUrl, tenantDataset, waitTimeout } from "./datasetOptions.js"
import { optionalText, params, paramsOf } from "./clusterOptions.js"
import { forTenant } from "../internal/config/tenant.js"
import { Destination } from "../internal/load/destination.js"
import { datasetName } from "../internal/load/identifiers.js"
import * as Pipeline from "../internal/pipeline/pipeline.js"
import { UnknownResourceError } from "../internal/pipeline/loadInfo.js"
import type { ResourceProgress } from "../internal/pipeline/progress.js"
import { scrub } from "./redaction.js"
import { progressLine, stderrProgress, table } from "./report.js"
import { commonOptions, withCommonOptions } from "./commonOptions.js"
import { dashboardCommands } from "./dashboardCommand.js"
import { clusterCommands } from "./clusterCommands.js"
import { secretCommands } from "./secretCommands.js"
import { initCommands } from "./initCommand.js"
import { showsInfo } from "./logging.js"
import { queryCommands } from "./queryCommands.js"
import { resetCommands } from "./resetCommands.js"
import * as RunOutput from "./runOutput.js"
import { stateCommands } from "./stateCommands.js"
import { withTelemetry } from "./telemetry.js"

/** Failures already explained on stderr; the entrypoint turns it into exit status 1. */
export class CommandFailed extends Error {
  readonly _tag = "CommandFailed"
}

const resources = Options.text("resources").pipe(
  Options.withDescription("comma-separated resource names to load (default: all selected)"),
  Options.optional
)
const fullRefresh = Options.boolean("full-refresh").pipe(
  Options.withDescription("ignore stored incremental state and load from the start; the new state replaces it (default: off)")
)
const concurrency = Options.integer("concurrency").pipe(
  Options.withDescription("resources (trees of parent and children) loaded at the same time, at least 1 (default: 3)"),
  Options.filterMap((n) => (n >= 1 ? Option.some(n) : Option.none()), "--concurrency must be at least 1"),
  Options.withDefault(3)
)
const json = Options.boolean("json").pipe(
  Options.withDescription(
    "print the run's result as one JSON document on stdout instead of the summary table (shape: README, run-report.schema.json; default: off)"
  )
)
const baseUrl = Options.text("base-url").pipe(
  Options.withDescription("replaces client.base_url, e.g. a staging server (default: the config's client.base_url)"),
  Options.optional
)

const otel = Options.text("otel").pipe(
  Options.withDescription(
    "send the run's traces and metrics over OTLP/HTTP to this endpoint, e.g. http://localhost:4318 " +
      "(default: env OTEL_EXPORTER_OTLP_ENDPOINT; neither: no telemetry)"
  ),
  Options.optional
)

/** Runs the pipeline and prints progress and the summary (or the JSON report); exit 1 if a resource failed. */
const runPipeline = (options: {
  readonly file: string
  readonly databaseUrl: string | undefined
  readonly dataDir: string
  readonly waitTimeout: number
  readonly dataset: string
  readonly resources: ReadonlyArray<string> | undefined
  readonly baseUrl: string | undefined
  /** `--tenant`: each secret NAME read from `<TENANT>_NAME`. */
  readonly tenant?: string | undefined
  readonly params?: Readonly<Record<string, string>> | undefined
  readonly fullRefresh?: boolean
  readonly concurrency?: number
  readonly json?: boolean
  /** `--otel`: an OTLP/HTTP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT works without it). */
  readonly otel?: Option.Option<string>
}) =>
  Effect.gen(function*() {
    const source = yield* sourceFromFile(options.file, { baseUrl: options.baseUrl, params: options.params }).pipe(
      options.tenant === undefined ? (self) => self : forTenant(options.tenant)
    )
    // Each resource's latest progress: on SIGINT/SIGTERM, what committed before it.
    const seen = new Map<string, ResourceProgress>()
    const out: RunOutput.RunOutput = {
      json: options.json ?? false,
      summary: yield* showsInfo,
      dataset: datasetName(options.dataset),
      database: options.databaseUrl === undefined ? "embedded" : "postgres",
      resources: options.resources ?? source.spec.resources.filter((r) => r.selected).map((r) => r.name),
      seen,
      startedMillis: yield* Clock.currentTimeMillis,
      redact: (text) => scrub(source.redactor.text(text))
    }
    const where = options.databaseUrl === undefined ? `embedded database in ${options.dataDir}` : "Postgres server"
    yield* Effect.logInfo(`loading ${out.resources.length} resource(s) into dataset '${options.dataset}' (${where})`)
    // Whether a document was printed already (a failure may come from the run, or from the storage layer under it).
    let reported = false
    const onFailure = (error: unknown) =>
      Effect.tap(RunOutput.failed(out, error), () => {
        reported = true
      })
    const { info, report } = yield* Effect.gen(function*() {
      const info = yield* Pipeline.run(source, {
        dataset: options.dataset,
        resources: options.resources,
        fullRefresh: options.fullRefresh,
        concurrency: options.concurrency
      }).pipe(
        Effect.provide(Layer.mergeAll(apiLayer, stderrProgress(1000, seen))),
        // Interruption runs the loads' finalizers first (rollback, staging dropped); then this.
        Effect.onInterrupt(() => Effect.flatMap(RunOutput.interrupted(out), (report) => RunOutput.keep(out, report))),
        Effect.tapError((error) =>
          error instanceof UnknownResourceError ? Effect.void : Effect.flatMap(onFailure(error), (report) => RunOutput.keep(out, report))
        )
      )
      const report = yield* RunOutput.finishedReport(out, info)
      yield* RunOutput.keep(out, report)
      return { info, report }
    }).pipe(
      // The database is there until the report is kept.
      Effect.provide(storageLayer(options)),
      // Closed with the run: its last spans and metrics are sent before the summary.
      withTelemetry(options.otel ?? Option.none()),
      Effect.tapError((error) => (error instanceof UnknownResourceError || reported ? Effect.void : onFailure(error)))
    )
    yield* RunOutput.finished(out, info, report)
    if (info.failed) return yield* Effect.fail(new CommandFailed("some resources failed"))
    return info
  })

/** `run --tenant T`: the same tenants as the cluster's `submit`, with their secrets from the environment. */
const tenant = optionalText(
  "tenant",
  "sync for this tenant: each secret NAME of the config is read from <TENANT>_NAME in the environment, and the dataset defaults to <config>_<tenant> " +
    "(the cluster's secrets table is read by its runners only) (default: none)"
)

const splitNames = (value: Option.Option<string>) =>
  Option.getOrUndefined(Option.map(value, (v) => v.split(",").map((s) => s.trim()).filter((s) => s !== "")))

const runCommand = Command.make(
  "run",
  { configFile, databaseUrl, dataset, dataDir, waitTimeout, resources, baseUrl, tenant, params, fullRefresh, concurrency, json, otel, ...commonOptions },
  (args) =>
    Effect.gen(function*() {
      yield* runPipeline({
        file: args.configFile,
        databaseUrl: yield* resolveDatabaseUrl(args.databaseUrl),
        dataDir: args.dataDir,
        waitTimeout: args.waitTimeout,
        dataset: tenantDataset(args.configFile, args.dataset, args.tenant),
        resources: splitNames(args.resources),
        baseUrl: Option.getOrUndefined(args.baseUrl),
        tenant: Option.getOrUndefined(args.tenant),
        params: yield* paramsOf(args.params),
        fullRefresh: args.fullRefresh,
        concurrency: args.concurrency,
        json: args.json,
        otel: args.otel
      })
    })
).pipe(Command.withDescription("sync every resource of a config into Postgres"))

const checkCommand = Command.make("check", { configFile, baseUrl, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const source = yield* sourceFromFile(args.configFile, { baseUrl: Option.getOrUndefined(args.baseUrl) })
    yield* Effect.logInfo(`config ok: ${source.spec.resources.length} resource(s), secrets resolved`)
    let failed = false
    for (const resource of source.spec.resources) {
      const first = yield* source.firstPage(resource).pipe(
        Effect.either,
        Effect.provide(apiLayer)
      )
      if (first._tag === "Left") {
        failed = true
        yield* Effect.logError(`${resource.name}: FAILED: ${source.redactor.text(first.left.message)}`)
      } else {
        const page = Option.getOrUndefined(first.right)
        yield* Console.log(`${resource.name}: ok, first page has ${page?.records.length ?? 0} record(s) (${page?.url ?? "no page"})`)
      }
    }
    if (failed) return yield* Effect.fail(new CommandFailed("check failed"))
  })).pipe(Command.withDescription("decode the config, resolve secrets, fetch and decode the first page of each resource"))

const schemaCommand = Command.make("schema", { configFile, databaseUrl, dataset, dataDir, waitTimeout, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const url = yield* resolveDatabaseUrl(args.databaseUrl)
    const name = datasetName(Option.getOrElse(args.dataset, () => defaultDataset(args.configFile)))
    const tables = yield* Effect.flatMap(Destination, (d) => d.storedTables(name)).pipe(
      Effect.provide(storageLayer({ databaseUrl: url, dataDir: args.dataDir, waitTimeout: args.waitTimeout }))
    )
    if (tables.length === 0) {
      yield* Console.log(`dataset '${name}' has no tables yet`)
      return
    }
    for (const t of tables) {
      const list = t.source === undefined ? "" : `, list ${JSON.stringify(t.source)}`
      yield* Console.log(`\n${name}.${t.name}${t.parent === undefined ? "" : ` (child of ${t.parent}${list})`}`)
      yield* Console.log(table(
        ["column", "type", "nullable", "source key"],
        t.columns.map((c) => [c.name, c.type, c.nullable ? "yes" : "no", c.source === undefined ? "" : JSON.stringify(c.source)])
      ))
    }
  })).pipe(Command.withDescription("show the tables and columns stored for a config's dataset"))

const rows = Options.integer("rows").pipe(
  Options.withDescription(`records per resource served by the demo API (default: ${DEFAULT_ROWS})`),
  Options.withDefault(DEFAULT_ROWS)
)

/** The package's root folder, from here (src/cli/) or from the bundle (dist/). */
const packageRoot = (): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir)
  return dir
}

export const demoConfigFile = path.join(packageRoot(), "examples/analytics/analytics.ts")

/** The build's compiled copy of the demo's config (no TypeScript compiler to start), else the source. */
const demoConfigToLoad = (): string => {
  const compiled = path.join(packageRoot(), "dist/examples/analytics/analytics.js")
  return existsSync(compiled) ? compiled : demoConfigFile
}

// The demo does not read DATABASE_URL: `npm start -- demo` always works on its own.
const demoDatabaseUrl = Options.text("database-url").pipe(
  Options.withDescription("a Postgres server URL to sync into (default: the embedded database)"),
  Options.optional
)

const demoCommand = Command.make("demo", { rows, dataDir, waitTimeout, databaseUrl: demoDatabaseUrl, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const api = yield* Effect.acquireRelease(
      Effect.promise(() => startDemoApi({ rows: args.rows, rateLimitEvery: 7 })),
      (server) => Effect.promise(() => server.close())
    )
    const current = yield* Effect.configProviderWith(Effect.succeed)
    yield* Effect.logInfo(`demo analytics API on ${api.baseUrl} (${args.rows} records per resource, a 429 every 7th request)`)
    // The example reads its key from ANALYTICS_API_KEY; the demo API's key is known.
    const provider = ConfigProvider.fromMap(new Map([["ANALYTICS_API_KEY", api.token]])).pipe(
      ConfigProvider.orElse(() => current)
    )
    yield* runPipeline({
      file: demoConfigToLoad(),
      databaseUrl: Option.getOrUndefined(args.databaseUrl),
      dataDir: args.dataDir,
      waitTimeout: args.waitTimeout,
      dataset: "analytics",
      resources: undefined,
      baseUrl: api.baseUrl
    }).pipe(Effect.withConfigProvider(provider))
    const where = Option.isSome(args.databaseUrl)
      ? "the Postgres server, schema analytics"
      : `the embedded database in ${path.resolve(args.dataDir)}`
    const flags = Option.isSome(args.databaseUrl)
      ? " --database-url <URL>"
      : args.dataDir === ".rest-connector"
      ? ""
      : ` --data-dir ${args.dataDir}`
    yield* Effect.logInfo(
      `\nthe tables are in ${where}; ` +
        `see them with: npm start -- schema ${path.relative(process.cwd(), demoConfigFile)} --dataset analytics${flags}`
    )
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription("start the demo analytics API on 127.0.0.1 and sync it into the embedded database")
  )

/** The subcommands, in the order `--help` lists them. */
export const subcommands = [
  withCommonOptions(runCommand),
  withCommonOptions(checkCommand),
  withCommonOptions(schemaCommand),
  withCommonOptions(demoCommand),
  ...stateCommands,
  ...resetCommands,
  ...queryCommands,
  ...dashboardCommands,
  ...initCommands,
  ...clusterCommands,
  ...secretCommands
] as const

export const description = "sync REST APIs described as dlt rest_api configs into PostgreSQL"

export const command = Command.make("rest-connector").pipe(
  Command.withDescription(description),
  Command.withSubcommands(subcommands)
)

export { progressLine }
