/**
 * The tenants' secrets table of a cluster: `set-secret <tenant> <NAME>` (the value from stdin,
 * or typed unseen at a terminal; never an argument, which would land in shell history and `ps`),
 * `secrets [--tenant T]` (names and dates, never values), `remove-secret <tenant> <NAME>` and
 * `rotate-secrets-key [--tenant T]`. Values are encrypted with `RC_SECRETS_KEY`, which the
 * runners need as well.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Prompt from "@effect/cli/Prompt"
import { Console, Effect, Option, Redacted } from "effect"
import * as PgPool from "../internal/load/pgPool.js"
import { databaseUrl, serverUrl } from "./clusterOptions.js"
import { commonOptions, withCommonOptions } from "./commonOptions.js"
import { UsageError } from "./datasetOptions.js"
import { table } from "./report.js"

const secretsModule = Effect.tryPromise({
  try: () => import("../internal/cluster/tenantSecrets.js"),
  catch: (e) => new UsageError({ message: `the secrets table needs @effect/sql installed (${e instanceof Error ? e.message : String(e)})` })
})

const tenant = Args.text({ name: "tenant" }).pipe(Args.withDescription("the tenant (as `submit --tenant` names it)"))
const name = Args.text({ name: "name" }).pipe(Args.withDescription("the secret's name, as the config names it ({ \"secret\": \"NAME\" })"))

/** All of stdin, without the one line break `echo` adds. */
const readStdin = Effect.promise(async () => {
  const chunks: Array<Buffer> = []
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "")
})

const secretValue = (tenantName: string, secretName: string) =>
  process.stdin.isTTY === true
    ? Prompt.hidden({ message: `${secretName} for tenant ${tenantName}` })
    : Effect.map(readStdin, (text) => Redacted.make(text))

const pool = (url: string) => PgPool.layerPool({ url: Redacted.make(url), maxConnections: 1 })

const asUsage = <A, R>(self: Effect.Effect<A, { readonly message: string }, R>) =>
  Effect.mapError(self, (e) => new UsageError({ message: e.message }))

const setCommand = Command.make("set-secret", { tenant, name, databaseUrl, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const url = yield* serverUrl(args.databaseUrl)
    const Secrets = yield* secretsModule
    yield* asUsage(Secrets.secretsKey)
    const value = yield* secretValue(args.tenant, args.name)
    if (Redacted.value(value) === "") return yield* new UsageError({ message: `the value of ${args.name} is empty (pipe it on stdin)` })
    yield* asUsage(Secrets.setSecret(args.tenant, args.name, value).pipe(Effect.provide(pool(url))))
    yield* Console.log(`secret ${args.name} of tenant ${args.tenant} stored, encrypted (${Secrets.secretsTable})`)
  })).pipe(
    Command.withDescription(
      "store a tenant's secret in the cluster's secrets table, encrypted with RC_SECRETS_KEY: the value is read from stdin " +
        "(or typed unseen at a terminal); a tenant's syncs read it before <TENANT>_NAME in the environment"
    )
  )

const tenantFilter = Options.text("tenant").pipe(Options.withDescription("only this tenant's secrets (default: every tenant's)"), Options.optional)

const listCommand = Command.make("secrets", { tenant: tenantFilter, databaseUrl, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const url = yield* serverUrl(args.databaseUrl)
    const Secrets = yield* secretsModule
    const rows = yield* asUsage(Secrets.listSecrets(Option.getOrUndefined(args.tenant)).pipe(Effect.provide(pool(url))))
    yield* Console.log(table(["tenant", "secret", "updated"], rows.map((r) => [r.tenant, r.name, r.updated_at])))
  })).pipe(Command.withDescription("list the secrets table of the cluster in --database-url: tenants, names and dates, never values"))

const removeCommand = Command.make("remove-secret", { tenant, name, databaseUrl, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const url = yield* serverUrl(args.databaseUrl)
    const Secrets = yield* secretsModule
    const removed = yield* asUsage(Secrets.removeSecret(args.tenant, args.name).pipe(Effect.provide(pool(url))))
    if (!removed) return yield* new UsageError({ message: `tenant ${args.tenant} has no secret ${args.name} (rest-connector secrets lists them)` })
    yield* Console.log(`secret ${args.name} of tenant ${args.tenant} removed`)
  })).pipe(Command.withDescription("remove a tenant's secret from the cluster's secrets table"))

const rotateCommand = Command.make("rotate-secrets-key", { tenant: tenantFilter, databaseUrl, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const url = yield* serverUrl(args.databaseUrl)
    const Secrets = yield* secretsModule
    const rotated = yield* asUsage(Secrets.rotateKey(Option.getOrUndefined(args.tenant)).pipe(Effect.provide(pool(url))))
    yield* Console.log(
      `${rotated.total} secret(s) re-encrypted with ${Secrets.secretsKeyVariable} (${rotated.fromPrevious} of them were under ${Secrets.previousKeyVariable})`
    )
  })).pipe(
    Command.withDescription(
      "re-encrypt the cluster's secrets with RC_SECRETS_KEY, opening each with it or RC_SECRETS_KEY_PREVIOUS (the key being replaced); " +
        "all or nothing: a secret that opens with neither stops it and nothing changes"
    )
  )

export const secretCommands = [
  withCommonOptions(setCommand),
  withCommonOptions(listCommand),
  withCommonOptions(removeCommand),
  withCommonOptions(rotateCommand)
] as const
