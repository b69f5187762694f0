/**
 * `rest-connector worker` (a runner of the cluster whose state lives in a Postgres database)
 * and `rest-connector submit` (a sync as a durable workflow on that cluster). The cluster's
 * modules load only when these commands run.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Console, Effect, Layer, Option, Redacted } from "effect"
import * as path from "node:path"
import * as PgPool from "../internal/load/pgPool.js"
import * as PostgresDestination from "../internal/load/postgresDestination.js"
import { commonOptions, withCommonOptions } from "./commonOptions.js"
import { apiLayer } from "./connector.js"
import { clusterModules, databaseUrl, optionalText, params, paramsFor, schedulesModule, serverUrl } from "./clusterOptions.js"
import { tenantDataset, UsageError } from "./datasetOptions.js"
import { table } from "./report.js"

const listen = Options.text("listen").pipe(
  Options.withDescription("host:port where other runners and clients reach this runner (default: 127.0.0.1:34431)"),
  Options.withDefault("127.0.0.1:34431")
)

const hostPort = (value: string): Effect.Effect<{ readonly host: string; readonly port: number }, UsageError> => {
  const at = value.lastIndexOf(":")
  const port = Number(value.slice(at + 1))
  return at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535
    ? Effect.fail(new UsageError({ message: `--listen ${value}: expected host:port` }))
    : Effect.succeed({ host: value.slice(0, at), port })
}

const maxSyncs = Options.integer("max-syncs").pipe(
  Options.withDescription("syncs this runner runs at once (each loads one resource tree at a time), whatever its shards hold (default: 8)"),
  Options.withDefault(8)
)

const workerCommand = Command.make("worker", { databaseUrl, listen, maxSyncs, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const url = yield* serverUrl(args.databaseUrl)
    const address = yield* hostPort(args.listen)
    const [{ clusterDatabase, runnerLayer }] = yield* clusterModules
    const database = PgPool.layerPool({ url: Redacted.make(url), maxConnections: Math.max(8, 2 * args.maxSyncs + 4) })
    yield* Effect.logInfo(`runner on ${address.host}:${address.port}, joining the cluster in the Postgres server; syncs run here until Ctrl-C`)
    return yield* Layer.launch(
      runnerLayer({ ...address, maxSyncs: args.maxSyncs }, clusterDatabase(Redacted.make(url), 6)).pipe(Layer.provide(Layer.mergeAll(PostgresDestination.layer, apiLayer)), Layer.provide(database))
    )
  })).pipe(
    Command.withDescription("run a cluster runner: it joins the cluster whose state is in --database-url and runs the syncs submitted to it")
  )

const configFile = Args.file({ name: "config-file", exists: "yes" }).pipe(Args.withDescription("the config file; every runner must see it at this path"))
const dataset = optionalText("dataset", "the dataset (Postgres schema) (default: the config file's name in snake_case)")
const run = optionalText("run", "the requested run's id: the same id joins the sync already submitted (default: a new id from the clock)")
const tenant = optionalText("tenant", "sync for this tenant: the runners read each secret NAME of the config from <TENANT>_NAME (default: none: NAME itself)")

const wait = Options.boolean("wait").pipe(Options.withDescription("wait for the sync to end and print its result as JSON (default: off: print the execution id)"))

const submitCommand = Command.make("submit", { configFile, databaseUrl, dataset, tenant, params, run, wait, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const url = yield* serverUrl(args.databaseUrl)
    const [{ clientLayer, clusterDatabase }, Sync, Registry] = yield* clusterModules
    const config = path.resolve(args.configFile)
    const request = {
      config,
      configHash: yield* Sync.configHash(config).pipe(Effect.mapError((e) => new UsageError({ message: e.message }))),
      dataset: tenantDataset(args.configFile, args.dataset, args.tenant),
      tenant: Option.getOrElse(args.tenant, () => ""),
      run: Option.getOrElse(args.run, () => `manual-${Date.now()}`),
      params: yield* paramsFor(config, args.params)
    }
    const database = PgPool.layerPool({ url: Redacted.make(url), maxConnections: 2 })
    yield* Effect.gen(function*() {
      const executionId = yield* Sync.SyncWorkflow.executionId(request)
      yield* Registry.recordSubmitted({ executionId, dataset: request.dataset, tenant: request.tenant, run: request.run })
      if (!args.wait) {
        const id = yield* Sync.SyncWorkflow.execute(request, { discard: true })
        yield* Console.log(id)
        return
      }
      const result = yield* Sync.SyncWorkflow.execute(request)
      yield* Console.log(JSON.stringify(result, null, 2))
      if (result.resources.some((r) => r.status === "failed")) process.exitCode = 1
    }).pipe(Effect.provide(clientLayer(clusterDatabase(Redacted.make(url), 2)).pipe(Layer.provideMerge(database))))
  })).pipe(
    Command.withDescription(
      "submit a sync of a config to the cluster in --database-url as a durable workflow (one per dataset, config and --run); " +
        "prints its execution id, or with --wait its result"
    )
  )

const every = optionalText("every", "sync every N minutes (dividing an hour: 5m, 15m, 30m) or hours (dividing a day: 1h, 6h, 24h) (default: none; this or --cron)")
const cron = optionalText("cron", "sync on this cron expression, in UTC, e.g. \"*/15 * * * *\" (default: none; this or --every)")
const scheduleName = optionalText("name", "the schedule's name; scheduling a name again replaces it (default: the dataset's name)")

const scheduleCommand = Command.make(
  "schedule",
  { configFile, databaseUrl, dataset, tenant, params, every, cron, name: scheduleName, ...commonOptions },
  (args) =>
    Effect.gen(function*() {
      const url = yield* serverUrl(args.databaseUrl)
      const [[, Sync], Schedules] = yield* Effect.all([clusterModules, schedulesModule])
      const expression = Option.isSome(args.every) && Option.isNone(args.cron)
        ? yield* Schedules.cronForEvery(args.every.value)
        : Option.isSome(args.cron) && Option.isNone(args.every)
        ? args.cron.value
        : yield* Effect.fail(new UsageError({ message: "give one of --every or --cron" }))
      yield* Schedules.parseCron(expression)
      const config = path.resolve(args.configFile)
      const datasetName = tenantDataset(args.configFile, args.dataset, args.tenant)
      const schedule = {
        name: Option.getOrElse(args.name, () => datasetName),
        config,
        configHash: yield* Sync.configHash(config).pipe(Effect.mapError((e) => new UsageError({ message: e.message }))),
        dataset: datasetName,
        tenant: Option.getOrElse(args.tenant, () => ""),
        cron: expression,
        params: yield* paramsFor(config, args.params)
      }
      yield* Schedules.upsertSchedule(schedule).pipe(Effect.provide(PgPool.layerPool({ url: Redacted.make(url), maxConnections: 1 })))
      yield* Console.log(`schedule ${schedule.name}: ${schedule.dataset} on "${expression}" (UTC); the cluster's runners submit each tick's sync once`)
    }).pipe(Effect.mapError((e) => (e._tag === "ScheduleError" ? new UsageError({ message: e.message }) : e)))
).pipe(
  Command.withDescription(
    "schedule a config's sync on the cluster in --database-url: exactly one run per tick, whichever runner fires it (ClusterCron)"
  )
)

const scheduleToRemove = Args.text({ name: "name" }).pipe(Args.withDescription("the schedule's name (as `schedule --name` gave it, default the dataset's)"))

const unscheduleCommand = Command.make("unschedule", { name: scheduleToRemove, databaseUrl, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const url = yield* serverUrl(args.databaseUrl)
    const Schedules = yield* schedulesModule
    const removed = yield* Schedules.removeSchedule(args.name).pipe(Effect.provide(PgPool.layerPool({ url: Redacted.make(url), maxConnections: 1 })))
    if (!removed) return yield* Effect.fail(new UsageError({ message: `no schedule named ${args.name} (rest-connector status lists them)` }))
    yield* Console.log(`schedule ${args.name} removed: the cluster submits no more syncs for it (syncs already submitted run to their end)`)
  })).pipe(Command.withDescription("remove a schedule from the cluster in --database-url"))

const json = Options.boolean("json").pipe(Options.withDescription("print the syncs, runners and schedules as one JSON document (default: off: tables)"))
const limit = Options.integer("limit").pipe(Options.withDescription("the newest syncs to show (default: 50)"), Options.withDefault(50))

const statusCommand = Command.make("status", { databaseUrl, json, limit, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const url = yield* serverUrl(args.databaseUrl)
    const Registry = yield* Effect.promise(() => import("../internal/cluster/syncRegistry.js"))
    const Schedules = yield* schedulesModule
    const { runners, schedules, syncs } = yield* Effect.all({
      syncs: Registry.listSyncs(args.limit),
      runners: Registry.listRunners,
      schedules: Schedules.readSchedules
    }).pipe(Effect.provide(PgPool.layerPool({ url: Redacted.make(url), maxConnections: 1 })))
    if (args.json) {
      const listed = schedules.map((s) => ({ name: s.name, dataset: s.dataset, tenant: s.tenant, cron: s.cron, config: s.config }))
      return yield* Console.log(JSON.stringify({ syncs, runners, schedules: listed }, null, 2))
    }
    yield* Console.log(table(
      ["tenant", "dataset", "run", "state", "resource", "runner", "started", "finished", "last error"],
      syncs.map((r) => [r.tenant, r.dataset, r.run, r.state, r.current_resource ?? "", r.runner ?? "", r.started_at ?? "", r.finished_at ?? "", r.last_error ?? ""])
    ))
    yield* Console.log("")
    // A killed runner's row outlives it: "gone" once the cluster no longer counts it.
    yield* Console.log(table(
      ["runner", "state", "last heartbeat"],
      runners.map((r) => [r.address, !r.alive ? "gone" : r.healthy ? "up" : "unhealthy", r.last_heartbeat])
    ))
    yield* Console.log("")
    yield* Console.log(table(["schedule", "dataset", "tenant", "cron (UTC)"], schedules.map((s) => [s.name, s.dataset, s.tenant, s.cron])))
  })).pipe(
    Command.withDescription(
      "list the cluster's syncs (newest first: tenant, dataset, run, state, resource in progress, times, last error), its runners and its schedules"
    )
  )

export const clusterCommands = [
  withCommonOptions(workerCommand),
  withCommonOptions(submitCommand),
  withCommonOptions(scheduleCommand),
  withCommonOptions(unscheduleCommand),
  withCommonOptions(statusCommand)
] as const
