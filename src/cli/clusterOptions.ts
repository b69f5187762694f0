/** What the cluster commands share: the server option and the cluster's modules, loaded lazily. */
import * as Options from "@effect/cli/Options"
import { Effect, Either, Option } from "effect"
import { ConfigError } from "../internal/config/configError.js"
import { loadConfigFile } from "../internal/config/loadConfig.js"
import { applyParams, parseParams } from "../internal/config/params.js"
import { resolveDatabaseUrl, UsageError } from "./datasetOptions.js"

/** An optional text option with its description. */
export const optionalText = (name: string, description: string) => Options.text(name).pipe(Options.withDescription(description), Options.optional)

export const databaseUrl = optionalText("database-url", "the Postgres server that holds the cluster's state and the datasets (default: env DATABASE_URL; required)")

export const serverUrl = (flag: Option.Option<string>) =>
  Effect.flatMap(resolveDatabaseUrl(flag), (url) =>
    url === undefined
      ? Effect.fail(new UsageError({ message: "a cluster needs a Postgres server: pass --database-url or set DATABASE_URL" }))
      : Effect.succeed(url))

/** The schedules' module (it needs @effect/cluster too). */
export const schedulesModule = Effect.tryPromise({
  try: () => import("../internal/cluster/schedules.js"),
  catch: (e) => new UsageError({ message: `the cluster commands need @effect/cluster@0.60 installed (${e instanceof Error ? e.message : String(e)})` })
})

/** The cluster's modules, or a usage error saying what to install (they are optional peer dependencies). */
export const clusterModules = Effect.tryPromise({
  try: () =>
    Promise.all([import("../internal/cluster/runner.js"), import("../internal/cluster/syncWorkflow.js"), import("../internal/cluster/syncRegistry.js")]),
  catch: (e) =>
    new UsageError({
      message: `the cluster commands need @effect/cluster@0.60, @effect/workflow@0.19 and @effect/rpc@0.76 installed beside effect-rest-connector ` +
        `(${e instanceof Error ? e.message : String(e)})`
    })
})

/** `--params k=v,...`: the tenant's values for `{params.NAME}` in the config. */
export const params = optionalText("params", "values for {params.NAME} in the config, as NAME=value,... (a tenant's account id, region...; not for secrets) (default: none)")

export const paramsOf = (flag: Option.Option<string>): Effect.Effect<Readonly<Record<string, string>>, UsageError> =>
  Option.isNone(flag)
    ? Effect.succeed({})
    : Either.match(parseParams(flag.value), {
      onLeft: (message) => Effect.fail(new UsageError({ message: `--params: ${message}` })),
      onRight: Effect.succeed
    })

/**
 * The params for `file`, checked here before anything is submitted: a `{params.NAME}` not given
 * is a usage error (exit 2) at submission, not a failed sync on a runner later.
 */
export const paramsFor = (file: string, flag: Option.Option<string>): Effect.Effect<Readonly<Record<string, string>>, UsageError | ConfigError> =>
  Effect.gen(function*() {
    const params = yield* paramsOf(flag)
    const filled = applyParams(yield* loadConfigFile(file), params)
    if (Either.isLeft(filled)) return yield* new ConfigError({ file, issues: filled.left })
    return params
  })
