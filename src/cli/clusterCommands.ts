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
import { datasetFor, resolveDatabaseUrl, UsageError } from "./datasetOptions.js"

const databaseUrl = Options.text("database-url").pipe(
  Options.withDescription("the Postgres server that holds the cluster's state and the datasets (default: env DATABASE_URL; required)"),
  Options.optional
)

const serverUrl = (flag: Option.Option<string>) =>
  Effect.flatMap(resolveDatabaseUrl(flag), (url) =>
    url === undefined
      ? Effect.fail(new UsageError({ message: "a cluster needs a Postgres server: pass --database-url or set DATABASE_URL" }))
      : Effect.succeed(url))

/** The cluster's modules, or a usage error saying what to install (they are optional peer dependencies). */
const clusterModules = Effect.tryPromise({
  try: () => Promise.all([import("../internal/cluster/runner.js"), import("../internal/cluster/syncWorkflow.js")]),
  catch: (e) =>
    new UsageError({
      message: `the cluster commands need @effect/cluster@0.60, @effect/workflow@0.19 and @effect/rpc@0.76 installed beside effect-rest-connector ` +
        `(${e instanceof Error ? e.message : String(e)})`
    })
})

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

const workerCommand = Command.make("worker", { databaseUrl, listen, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const url = yield* serverUrl(args.databaseUrl)
    const address = yield* hostPort(args.listen)
    const [{ runnerLayer }] = yield* clusterModules
    const database = PgPool.layerPool({ url: Redacted.make(url), maxConnections: 8 })
    yield* Effect.logInfo(`runner on ${address.host}:${address.port}, joining the cluster in the Postgres server; syncs run here until Ctrl-C`)
    return yield* Layer.launch(
      runnerLayer(address).pipe(Layer.provide(Layer.mergeAll(PostgresDestination.layer, apiLayer)), Layer.provide(database))
    )
  })).pipe(
    Command.withDescription("run a cluster runner: it joins the cluster whose state is in --database-url and runs the syncs submitted to it")
  )

const configFile = Args.file({ name: "config-file", exists: "yes" }).pipe(Args.withDescription("the config file; every runner must see it at this path"))
const dataset = Options.text("dataset").pipe(
  Options.withDescription("the dataset (Postgres schema) (default: the config file's name in snake_case)"),
  Options.optional
)
const run = Options.text("run").pipe(
  Options.withDescription("the requested run's id: the same id joins the sync already submitted (default: a new id from the clock)"),
  Options.optional
)
const tenant = Options.text("tenant").pipe(
  Options.withDescription(
    "sync for this tenant: the runners read each secret NAME of the config from <TENANT>_NAME (default: none: NAME itself)"
  ),
  Options.optional
)
const wait = Options.boolean("wait").pipe(Options.withDescription("wait for the sync to end and print its result as JSON (default: off: print the execution id)"))

const submitCommand = Command.make("submit", { configFile, databaseUrl, dataset, tenant, run, wait, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const url = yield* serverUrl(args.databaseUrl)
    const [{ clientLayer }, Sync] = yield* clusterModules
    const config = path.resolve(args.configFile)
    const request = {
      config,
      configHash: yield* Sync.configHash(config).pipe(Effect.mapError((e) => new UsageError({ message: e.message }))),
      // A tenant's data goes to a dataset of its own unless --dataset says otherwise.
      dataset: Option.isSome(args.dataset) || Option.isNone(args.tenant)
        ? datasetFor(args.configFile, args.dataset)
        : datasetFor(args.configFile, Option.some(`${datasetFor(args.configFile, Option.none())}_${args.tenant.value}`)),
      tenant: Option.getOrElse(args.tenant, () => ""),
      run: Option.getOrElse(args.run, () => `manual-${Date.now()}`)
    }
    const database = PgPool.layerPool({ url: Redacted.make(url), maxConnections: 2 })
    yield* Effect.gen(function*() {
      if (!args.wait) {
        const id = yield* Sync.SyncWorkflow.execute(request, { discard: true })
        yield* Console.log(id)
        return
      }
      const result = yield* Sync.SyncWorkflow.execute(request)
      yield* Console.log(JSON.stringify(result, null, 2))
      if (result.resources.some((r) => r.status === "failed")) process.exitCode = 1
    }).pipe(Effect.provide(clientLayer.pipe(Layer.provide(database))))
  })).pipe(
    Command.withDescription(
      "submit a sync of a config to the cluster in --database-url as a durable workflow (one per dataset, config and --run); " +
        "prints its execution id, or with --wait its result"
    )
  )

export const clusterCommands = [withCommonOptions(workerCommand), withCommonOptions(submitCommand)] as const
