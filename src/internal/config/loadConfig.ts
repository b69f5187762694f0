/**
 * Config files: `.json`, `.yaml`/`.yml`, or a `.ts`/`.js`/`.mjs` module whose default export
 * is the config (the CLI registers tsx, so TypeScript modules load without a build step).
 */
import { Effect } from "effect"
import { readFile } from "node:fs/promises"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import * as YAML from "yaml"
import { ConfigError, issue } from "./configError.js"

const fail = (file: string, message: string) => new ConfigError({ file, issues: [issue("", message)] })

/**
 * What a parser says is wrong, and where, without quoting the file: the YAML parser adds the
 * offending line and newer Node versions a snippet of the JSON, which may be a secret.
 */
const parseProblem = (e: unknown): string => {
  const first = (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? ""
  return first.replace(/^.*? is not valid JSON$/, "not valid JSON").replace(/, "[^"]*" is not valid JSON/, "").replace(/:$/, "")
}

export const loadConfigFile = (file: string): Effect.Effect<unknown, ConfigError> => {
  const ext = path.extname(file).toLowerCase()
  const absolute = path.resolve(file)
  const readText = Effect.tryPromise({
    // A UTF-8 byte order mark (editors on Windows write one) is not part of the config.
    try: () => readFile(absolute, "utf8").then((text) => text.replace(/^\uFEFF/, "")),
    catch: (e) => fail(file, `cannot read the file: ${e instanceof Error ? e.message : String(e)}`)
  })
  switch (ext) {
    case ".json":
      return Effect.flatMap(readText, (text) =>
        Effect.try({
          try: (): unknown => JSON.parse(text),
          catch: (e) => fail(file, `not valid JSON: ${parseProblem(e)}`)
        }))
    case ".yaml":
    case ".yml":
      return Effect.flatMap(readText, (text) =>
        Effect.try({
          try: (): unknown => YAML.parse(text),
          catch: (e) => fail(file, `not valid YAML: ${parseProblem(e)}`)
        }))
    case ".ts":
    case ".mts":
    case ".js":
    case ".mjs":
      return Effect.tryPromise({
        try: async (): Promise<unknown> => {
          const config = defaultExport(await importModule(absolute))
          if (config === undefined) throw new Error("the module has no default export (export default defineConfig({...}))")
          return config
        },
        catch: (e) => fail(file, `cannot load the module: ${e instanceof Error ? e.message : String(e)}`)
      })
    default:
      return Effect.fail(fail(file, `unknown config file type '${ext}': use .json, .yaml, .yml, .ts, .js or .mjs`))
  }
}

/**
 * Imports a config module. Plain Node cannot load TypeScript, so a `.ts` file that fails with
 * an unknown extension is imported again through tsx (test runners that already compile
 * TypeScript never get there). `tsImport` compiles it whatever package it sits in: a config in
 * a folder without `"type": "module"` is CommonJS to Node, which a globally registered loader
 * could not require.
 */
const importModule = async (file: string): Promise<unknown> => {
  const url = pathToFileURL(file).href
  try {
    return await import(url)
  } catch (error) {
    const unknownExtension = typeof error === "object" && error !== null && "code" in error &&
      error.code === "ERR_UNKNOWN_FILE_EXTENSION"
    if (!unknownExtension) throw error
    const { tsImport } = await import("tsx/esm/api")
    return await tsImport(url, import.meta.url)
  }
}

/** A module's default export; a module compiled to CommonJS has it one level down (`exports.default`). */
const defaultExport = (module: unknown): unknown => {
  const value = typeof module === "object" && module !== null && "default" in module ? module.default : undefined
  if (typeof value === "object" && value !== null && "__esModule" in value && "default" in value) return value.default
  return value
}

/** The default dataset: the config file's base name in snake_case (`examples/analytics/config.ts` → `config`). */
export const datasetFromFile = (file: string): string => {
  const base = path.basename(file, path.extname(file))
  return base
}
