/**
 * What the commands share (run and schema too, and those that look after a dataset: loads, state,
 * reset, drop, query): where
 * the database is, which dataset, the config's resources (read without resolving secrets: none
 * of these commands calls the API), and the errors that are the user's to fix (exit 2).
 */
import * as Args from "@effect/cli/Args"
import * as Options from "@effect/cli/Options"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as PgClient from "@effect/sql-pg/PgClient"
import { Config, Data, Duration, Effect, Either, Layer, Option } from "effect"
import type { ConfigError } from "../internal/config/configError.js"
import { loadConfigFile } from "../internal/config/loadConfig.js"
import { resolveConfig } from "../internal/config/resolve.js"
import type { ResourceSpec, SecretInput, SourceSpec } from "../internal/config/spec.js"
import * as Embedded from "../internal/load/embedded.js"
import { datasetName } from "../internal/load/identifiers.js"
import { UnknownResourceError } from "../internal/pipeline/loadInfo.js"
import { defaultDataset } from "./connector.js"
import { shareOwnPackages } from "./packageResolution.js"

/** A mistake in how the command was called (exit status 2), explained by its message. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

export const configFile = Args.file({ name: "config-file", exists: "yes" }).pipe(
  Args.withDescription(
    "the config: .json, .yaml/.yml, or a .ts/.js/.mjs module whose default export is the config; its file name is the default dataset"
  )
)
export const databaseUrl = Options.text("database-url").pipe(
  Options.withDescription("a Postgres server URL (default: env DATABASE_URL, else the embedded database in --data-dir)"),
  Options.optional
)
export const dataset = Options.text("dataset").pipe(
  Options.withDescription("the dataset (Postgres schema) (default: the config file's name in snake_case)"),
  Options.optional
)
export const dataDir = Options.directory("data-dir").pipe(
  Options.withDescription("folder of the embedded database (default: .rest-connector)"),
  Options.withDefault(".rest-connector")
)
export const waitTimeout = Options.integer("wait-timeout").pipe(
  Options.withDescription(
    "seconds to wait while another process uses the same --data-dir before failing with exit code 1 (default 300)"
  ),
  Options.filterMap((n) => (n >= 0 ? Option.some(n) : Option.none()), "--wait-timeout must be 0 or more"),
  Options.withDefault(300)
)
export const json = Options.boolean("json").pipe(
  Options.withDescription("print JSON on stdout instead of a table (default: a table)")
)

/** `--database-url`, else env DATABASE_URL, else none (embedded). */
export const resolveDatabaseUrl = (flag: Option.Option<string>): Effect.Effect<string | undefined> =>
  Option.match(flag, {
    onSome: (url) => Effect.succeed(Option.some(url)),
    onNone: () => Config.option(Config.string("DATABASE_URL")).pipe(Effect.orElseSucceed(() => Option.none<string>()))
  }).pipe(Effect.map((o) => Option.getOrUndefined(Option.filter(o, (url) => url.trim() !== ""))))

/** `--dataset`, else the config file's name (shortened as a run shortens it). */
export const datasetFor = (file: string, flag: Option.Option<string>): string =>
  datasetName(Option.getOrElse(flag, () => defaultDataset(file)))

/** A tenant's data goes to a dataset of its own (`<config>_<tenant>`) unless --dataset says otherwise. */
export const tenantDataset = (file: string, flag: Option.Option<string>, tenantFlag: Option.Option<string>): string =>
  Option.isSome(flag) || Option.isNone(tenantFlag)
    ? datasetFor(file, flag)
    : datasetFor(file, Option.some(`${datasetFor(file, Option.none())}_${tenantFlag.value}`))

/**
 * The database a command works on: a server (`layerPool`, whose `SessionLocks` let reset and
 * drop wait for a run in another process) or the embedded database in `dataDir`.
 */
export const databaseFor = (
  url: string | undefined,
  dir: string,
  waitSeconds: number
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError> =>
  Embedded.databaseLayer({ databaseUrl: url, dataDir: dir, maxConnections: 2, waitTimeout: Duration.seconds(waitSeconds) })

/** The config's resources, decoded without resolving its secrets. */
export const specFromFile = (file: string): Effect.Effect<SourceSpec<SecretInput>, ConfigError> =>
  Effect.suspend(() => {
    // A config module's imports of the package and of Effect resolve to the CLI's own copies.
    if (/\.[cm]?[jt]s$/i.test(file)) shareOwnPackages()
    return Effect.flatMap(loadConfigFile(file), (input) => Either.match(resolveConfig(input, file), { onLeft: Effect.fail, onRight: Effect.succeed }))
  })

/** `--resources a,b` as names, each one of the config's (else exit 2 naming the config's). */
export const chosenResources = (
  spec: SourceSpec<SecretInput>,
  value: string
): Effect.Effect<ReadonlyArray<ResourceSpec<SecretInput>>, UnknownResourceError | UsageError> => {
  const names = [...new Set(value.split(",").map((s) => s.trim()).filter((s) => s !== ""))]
  if (names.length === 0) return Effect.fail(new UsageError({ message: "--resources names no resource (give a,b)" }))
  const byName = new Map(spec.resources.map((r) => [r.name, r]))
  const unknown = names.filter((n) => !byName.has(n))
  if (unknown.length > 0) {
    return Effect.fail(new UnknownResourceError({ names: unknown, available: spec.resources.map((r) => r.name) }))
  }
  return Effect.succeed(names.flatMap((n) => {
    const r = byName.get(n)
    return r === undefined ? [] : [r]
  }))
}

/** Times as UTC to the second, e.g. `2026-03-01 09:30:00Z`; empty when unknown. */
export const formatTime = (d: Date | undefined): string =>
  d === undefined ? "" : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z")
