/**
 * `rest-connector init --openapi <document>`: writes a connector (a config module with a Schema
 * per resource, or JSON / YAML) and a README stub from an OpenAPI document. The parser and the
 * generator load only when this command runs.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Console, Effect, Option } from "effect"
import { existsSync } from "node:fs"
import { mkdir, writeFile } from "node:fs/promises"
import * as path from "node:path"
import { commonOptions, withCommonOptions } from "./commonOptions.js"
import { UsageError } from "./datasetOptions.js"

const openapi = Options.text("openapi").pipe(
  Options.withDescription("the OpenAPI document: a JSON or YAML file, a file: URL or an http(s) URL (Swagger 2.0, OpenAPI 3.0 and 3.1; required, no default)")
)
const out = Options.directory("out", { exists: "either" }).pipe(
  Options.withDescription("the folder to write into (default: ./<name>)"),
  Options.optional
)
const name = Options.text("name").pipe(
  Options.withDescription("the connector's name: file name and secret names' prefix (default: from the document's title)"),
  Options.optional
)
const format = Options.choice("format", ["ts", "json", "yaml"]).pipe(
  Options.withDescription("ts: a TypeScript module with defineConfig and a Schema per resource; json or yaml: the config alone (default: ts)"),
  Options.withDefault("ts" as const)
)
const patterns = (option: string, what: string) =>
  Options.text(option).pipe(
    Options.withDescription(`${what} resources whose name or path matches one of these comma-separated globs (* and ?) (default: none)`),
    Options.withDefault("")
  )
const force = Options.boolean("force").pipe(Options.withDescription("overwrite files that exist (default: off)"))

const split = (s: string): ReadonlyArray<string> => s.split(",").map((p) => p.trim()).filter((p) => p.length > 0)

const initCommand = Command.make(
  "init",
  { openapi, out, name, format, include: patterns("include", "only"), exclude: patterns("exclude", "leave out"), force, ...commonOptions },
  (args) =>
    Effect.gen(function*() {
      const [{ load }, { generate, defaultName }] = yield* Effect.promise(() =>
        Promise.all([import("../internal/openapi/document.js"), import("../internal/openapi/generate.js")])
      )
      const model = yield* load(args.openapi).pipe(Effect.mapError((e) => new UsageError({ message: e.message })))
      const connector = Option.getOrElse(args.name, () => defaultName(model.title))
      if (!/^[A-Za-z][\w-]*$/.test(connector)) {
        return yield* Effect.fail(new UsageError({ message: `--name ${connector}: use letters, digits, _ and -` }))
      }
      const folder = Option.getOrElse(args.out, () => connector)
      const generated = generate(model, {
        name: connector,
        format: args.format,
        source: args.openapi,
        include: split(args.include),
        exclude: split(args.exclude)
      })
      const clashes = generated.files.map((f) => path.join(folder, f.path)).filter((f) => existsSync(f))
      if (clashes.length > 0 && !args.force) {
        return yield* Effect.fail(new UsageError({ message: `${clashes.join(", ")} exist(s); pass --force to overwrite` }))
      }
      yield* Effect.promise(async () => {
        await mkdir(folder, { recursive: true })
        for (const file of generated.files) await writeFile(path.join(folder, file.path), file.content)
      })
      const selected = generated.resources.filter((r) => r.plan.selected).length
      const children = generated.resources.filter((r) => r.plan.parent !== undefined).length
      const autos = generated.resources.filter((r) => r.paginator === "auto").length
      yield* Effect.logInfo(
        `${model.title} (OpenAPI ${model.version}, ${model.operations.length} operations): ${generated.resources.length} resource(s), ` +
          `${selected} selected, ${children} child(ren), ${autos} paginator(s) left to auto` +
          (generated.secrets.length === 0 ? ", no auth detected" : `; secrets: ${generated.secrets.join(", ")}`)
      )
      for (const file of generated.files) yield* Console.log(path.join(folder, file.path))
    })
).pipe(
  Command.withDescription(
    "write a connector from an OpenAPI document: a config module with an Effect Schema per resource (or JSON/YAML) " +
      "and a README of what was detected and what to check; prints the files written"
  )
)

export const initCommands = [withCommonOptions(initCommand)] as const
