/**
 * Helpers for the Schema code generator's tests: evaluate generated code against this process's
 * `effect`, and typecheck it under strict with the `typescript` package.
 */
import { Schema } from "effect"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import type { SchemaModule } from "../../src/internal/openapi/schemaCodegen.js"

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url))

type Obj = { readonly [key: string]: unknown }
export const isObj = (u: unknown): u is Obj => typeof u === "object" && u !== null && !Array.isArray(u)

const isDecoder = (u: unknown): u is Schema.Schema<unknown, unknown, never> => Schema.isSchema(u)

/** The generated declarations and roots, run (types stripped) with this process's `Schema`. */
export const evaluate = (module: SchemaModule): ReadonlyArray<Schema.Schema<unknown, unknown, never>> => {
  const source = `${module.declarations}\nconst __roots = [${module.roots.join(",\n")}]\n`
  const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } })
  const run = new Function("Schema", `${js.outputText}\nreturn __roots`)
  const roots: unknown = run(Schema)
  if (!Array.isArray(roots)) throw new Error("generated code did not give an array of roots")
  return roots.map((r, i) => {
    if (!isDecoder(r)) throw new Error(`root ${i} is not a Schema`)
    return r
  })
}

/** A module file as `init --openapi` would write it: the import, the declarations, one export per root. */
export const moduleSource = (module: SchemaModule): string =>
  [
    ...(module.declarations === "" && module.roots.length === 0 ? [] : [`import { Schema } from "effect"`, ""]),
    module.declarations,
    ...module.roots.map((r, i) => `export const Root${i} = ${r}`),
    ...module.roots.map((_, i) => `export type Root${i} = typeof Root${i}.Type`),
    ""
  ].join("\n")

/**
 * Typechecks generated modules together (one program: effect's types are read once) under
 * `strict` and the strictest optional-property flags. Returns the diagnostics, formatted.
 */
export const typecheck = (files: Readonly<Record<string, string>>): ReadonlyArray<string> => {
  const dir = path.join(repoRoot, "test", ".generated")
  const virtual = new Map(Object.entries(files).map(([name, text]) => [path.join(dir, `${name}.ts`), text]))
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts"],
    types: [],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noUnusedLocals: true,
    skipLibCheck: true,
    noEmit: true
  }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  const fileExists = host.fileExists.bind(host)
  const readFile = host.readFile.bind(host)
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = virtual.get(path.normalize(fileName))
    return text !== undefined
      ? ts.createSourceFile(fileName, text, languageVersion, true)
      : getSourceFile(fileName, languageVersion, onError, shouldCreate)
  }
  host.fileExists = (fileName) => virtual.has(path.normalize(fileName)) || fileExists(fileName)
  host.readFile = (fileName) => virtual.get(path.normalize(fileName)) ?? readFile(fileName)
  const program = ts.createProgram([...virtual.keys()], options, host)
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n")
    if (d.file === undefined || d.start === undefined) return message
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start)
    return `${path.basename(d.file.fileName)}:${line + 1}:${character + 1} ${message}`
  })
}
