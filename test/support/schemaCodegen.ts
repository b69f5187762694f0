/**
 * Helpers for the Schema code generator's tests: evaluate generated code against this process's
 * `effect`, typecheck it under strict with the `typescript` package, and read OpenAPI documents
 * (raw JSON) into the slice of the model the generator needs.
 */
import { Schema } from "effect"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import type { JsonSchema } from "../../src/internal/openapi/model.js"
import type { SchemaModule } from "../../src/internal/openapi/schemaCodegen.js"
import type { SchemaModel } from "../../src/internal/openapi/schemaCodegenConvert.js"

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

/** A JSON pointer (`#/components/schemas/Pet`) into a document. */
export const pointer = (doc: unknown, ref: string): unknown => {
  if (!ref.startsWith("#")) return undefined
  if (ref === "#" || ref === "#/") return doc
  let current: unknown = doc
  for (const raw of ref.slice(2).split("/")) {
    const token = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~")
    if (Array.isArray(current) && /^\d+$/.test(token)) current = current[Number(token)]
    else if (isObj(current) && Object.prototype.hasOwnProperty.call(current, token)) current = current[token]
    else return undefined
  }
  return current
}

const asSchemas = (u: unknown): Readonly<Record<string, JsonSchema>> => {
  const out: Record<string, JsonSchema> = {}
  if (isObj(u)) {
    for (const [k, v] of Object.entries(u)) if (typeof v === "boolean" || isObj(v)) out[k] = v
  }
  return out
}

/** The generator's slice of the ApiModel, straight from a raw document (the real loader is document.ts). */
export const modelOf = (doc: unknown): SchemaModel & { readonly version: "2.0" | "3.0" | "3.1" } => {
  const swagger = isObj(doc) && doc.swagger === "2.0"
  const components = isObj(doc) && isObj(doc.components) ? doc.components : {}
  const openapi = isObj(doc) && typeof doc.openapi === "string" ? doc.openapi : ""
  return {
    version: swagger ? "2.0" : openapi.startsWith("3.1") ? "3.1" : "3.0",
    schemas: asSchemas(swagger && isObj(doc) ? doc.definitions : components.schemas),
    schemaRefPrefix: swagger ? "#/definitions/" : "#/components/schemas/",
    resolve: (ref) => pointer(doc, ref)
  }
}

export interface Response {
  readonly operation: string
  readonly schema: JsonSchema
  readonly examples: ReadonlyArray<unknown>
}

const deref = (doc: unknown, u: unknown): unknown =>
  isObj(u) && typeof u.$ref === "string" ? deref(doc, pointer(doc, u.$ref)) : u

/** Each operation's 200 JSON response schema with the examples the document gives for it. */
export const responses = (doc: unknown): ReadonlyArray<Response> => {
  const out: Array<Response> = []
  const paths = isObj(doc) && isObj(doc.paths) ? doc.paths : {}
  for (const [p, item] of Object.entries(paths)) {
    if (!isObj(item)) continue
    for (const [method, op] of Object.entries(item)) {
      if (!isObj(op) || !isObj(op.responses)) continue
      const response = deref(doc, op.responses["200"])
      if (!isObj(response)) continue
      const operation = `${method.toUpperCase()} ${p}`
      if (isObj(response.schema)) {
        // Swagger 2.0
        const examples = isObj(response.examples) && "application/json" in response.examples
          ? [response.examples["application/json"]]
          : []
        out.push({ operation, schema: response.schema, examples })
        continue
      }
      const content = isObj(response.content) ? response.content : {}
      const media = content["application/json"] ?? Object.entries(content).find(([k]) => k.endsWith("json"))?.[1]
      if (!isObj(media) || !(isObj(media.schema) || typeof media.schema === "boolean")) continue
      const examples: Array<unknown> = []
      if ("example" in media) examples.push(media.example)
      if (isObj(media.examples)) {
        for (const e of Object.values(media.examples)) {
          const example = deref(doc, e)
          if (isObj(example) && "value" in example) examples.push(example.value)
        }
      }
      out.push({ operation, schema: media.schema, examples })
    }
  }
  return out
}

const require = createRequire(import.meta.url)

/** A file of an npm package (a devDependency), or of `OPENAPI_DOCS_DIR` while it is not installed. */
export const packageFile = (pkg: string, file: string): string => {
  try {
    return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file)
  } catch {
    const dir = process.env.OPENAPI_DOCS_DIR
    if (dir === undefined) throw new Error(`${pkg} is not installed`)
    return path.join(dir, pkg, file)
  }
}

export const readJson = (file: string): unknown => JSON.parse(readFileSync(file, "utf8"))
