/**
 * `rest-connector reset` (drop resources' stored state: their next run starts from
 * `initial_value`) and `rest-connector drop` (drop their tables and state too, after a
 * confirmation). Both wait for a run loading the resource, under the lock the pipeline takes.
 */
import { commonOptions, withCommonOptions } from "./commonOptions.js"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Console, Effect } from "effect"
import { createInterface } from "node:readline"
import type { ResourceSpec, SecretInput } from "../internal/config/spec.js"
import { type DropTarget, dropResources, planDrop, type ResourceTables } from "../internal/load/dropResources.js"
import { resetStates } from "../internal/load/storedStates.js"
import { tableNameOf } from "../internal/pipeline/loadInfo.js"
import {
  chosenResources,
  configFile,
  databaseFor,
  databaseUrl,
  dataDir,
  dataset,
  datasetFor,
  resolveDatabaseUrl,
  specFromFile,
  UsageError,
  waitTimeout
} from "./datasetOptions.js"

const resources = Options.text("resources").pipe(
  Options.withDescription("comma-separated names of the config's resources (required)")
)
const yes = Options.boolean("yes").pipe(
  Options.withAlias("y"),
  Options.withDescription("drop without asking (needed when stdin is not a terminal) (default: ask)")
)

const where = (url: string | undefined, dir: string) => (url === undefined ? `the embedded database in ${dir}` : "the Postgres server")

const resetCommand = Command.make("reset", { configFile, databaseUrl, dataset, dataDir, waitTimeout, resources, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const spec = yield* specFromFile(args.configFile)
    const chosen = yield* chosenResources(spec, args.resources)
    const url = yield* resolveDatabaseUrl(args.databaseUrl)
    const name = datasetFor(args.configFile, args.dataset)
    const names = chosen.map((r) => r.name)
    const reset = yield* resetStates(name, names).pipe(Effect.provide(databaseFor(url, args.dataDir, args.waitTimeout)))
    for (const r of names) {
      yield* Console.log(
        reset.includes(r)
          ? `${r}: state dropped; its next run starts from initial_value`
          : `${r}: had no stored state`
      )
    }
  })).pipe(
    Command.withDescription("drop resources' stored incremental state, so that their next run starts from initial_value")
  )

/** The root tables a resource's config gives it (a `table_name` function's are found from its loads). */
const rootTablesOf = (r: ResourceSpec<SecretInput>): ResourceTables => ({
  resource: r.name,
  rootTables: r.tableNameOf === undefined ? [tableNameOf(r)] : []
})

const describeTarget = (t: DropTarget): string => {
  const parts = [
    t.tables.length === 0 ? "no tables" : `tables ${t.tables.join(", ")}`,
    t.hasState ? "its state" : "no state"
  ]
  const shared = t.sharedWith.length === 0 ? "" : `\n    (also loaded by ${t.sharedWith.join(", ")}, whose rows in them go too)`
  return `  ${t.resource}: ${parts.join("; ")}${shared}`
}

/** Asks on the terminal (stderr); true for y/yes. Ctrl-C while asking is the process's SIGINT. */
const confirm = (question: string): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr })
    rl.on("SIGINT", () => {
      rl.close()
      process.kill(process.pid, "SIGINT")
    })
    rl.question(question, (answer) => {
      rl.close()
      resume(Effect.succeed(/^y(es)?$/i.test(answer.trim())))
    })
    return Effect.sync(() => rl.close())
  })

const dropCommand = Command.make("drop", { configFile, databaseUrl, dataset, dataDir, waitTimeout, resources, yes, ...commonOptions }, (args) =>
  Effect.gen(function*() {
    const spec = yield* specFromFile(args.configFile)
    const chosen = (yield* chosenResources(spec, args.resources)).map(rootTablesOf)
    const url = yield* resolveDatabaseUrl(args.databaseUrl)
    const name = datasetFor(args.configFile, args.dataset)
    yield* Effect.gen(function*() {
      const plan = yield* planDrop(name, chosen)
      if (plan.every((t) => t.tables.length === 0 && !t.hasState)) {
        yield* Console.log(`nothing to drop: dataset ${name} holds no tables and no state of ${chosen.map((r) => r.resource).join(", ")}`)
        return
      }
      const summary = `from dataset ${name} in ${where(url, args.dataDir)}, drop:\n${plan.map(describeTarget).join("\n")}`
      if (!args.yes) {
        if (process.stdin.isTTY !== true) {
          return yield* Effect.fail(
            new UsageError({ message: `refusing to drop without a confirmation (stdin is not a terminal); pass --yes to drop:\n${summary}` })
          )
        }
        yield* Console.error(summary)
        if (!(yield* confirm("drop them? [y/N] "))) {
          yield* Console.error("nothing dropped")
          return
        }
      }
      for (const t of yield* dropResources(name, chosen)) {
        yield* Console.log(
          `${t.resource}: dropped ${t.tables.length === 0 ? "no tables" : t.tables.join(", ")}${t.hasState ? " and its state" : ""}`
        )
      }
    }).pipe(Effect.provide(databaseFor(url, args.dataDir, args.waitTimeout)))
  })).pipe(
    Command.withDescription("drop resources' tables (child tables too) and stored state, after a confirmation or --yes")
  )

export const resetCommands = [withCommonOptions(resetCommand), withCommonOptions(dropCommand)] as const
