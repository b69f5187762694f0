/**
 * Hand-written ApiModel and Operation fixtures for the OpenAPI detectors' tests, and the real
 * documents the devDependencies bring (@octokit/openapi, @readme/oas-examples) read with the
 * real loader.
 */
import { readdirSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Either, Option } from "effect"
import { toModel } from "../../src/internal/openapi/document.js"
import type { ApiModel, JsonSchema, Operation, Parameter, SecurityScheme, SuccessResponse } from "../../src/internal/openapi/model.js"
import type { SourceSpec } from "../../src/internal/config/spec.js"
import type { Secret } from "../../src/internal/config/secrets.js"
import { fromSpec } from "../../src/internal/paginate/fromSpec.js"
import type { PageRequest } from "../../src/internal/paginate/paginator.js"

const prefix = "#/components/schemas/"

export const model = (options: {
  readonly schemas?: Readonly<Record<string, JsonSchema>>
  readonly operations?: ReadonlyArray<Operation>
  readonly securitySchemes?: Readonly<Record<string, SecurityScheme>>
  readonly security?: ApiModel["security"]
  readonly baseUrl?: string
} = {}): ApiModel => {
  const schemas = options.schemas ?? {}
  return {
    version: "3.1",
    title: "Test API",
    description: undefined,
    baseUrl: options.baseUrl ?? "https://api.test/v1",
    operations: options.operations ?? [],
    schemas,
    schemaRefPrefix: prefix,
    securitySchemes: options.securitySchemes ?? {},
    security: options.security ?? [],
    resolve: (ref) => (ref.startsWith(prefix) ? schemas[ref.slice(prefix.length)] : undefined)
  }
}

export const ref = (name: string) => ({ $ref: `${prefix}${name}` })

/** A query parameter. */
export const query = (name: string, schema: JsonSchema = { type: "string" }, description?: string): Parameter => ({
  name,
  in: "query",
  required: false,
  schema,
  description
})

export const op = (
  parameters: ReadonlyArray<Parameter>,
  response: Partial<SuccessResponse> = {},
  extra: Partial<Operation> = {}
): Operation => ({
  method: "get",
  path: "/items",
  operationId: undefined,
  summary: undefined,
  tags: [],
  parameters,
  response: { status: "200", schema: undefined, headers: [], examples: [], description: undefined, ...response },
  security: undefined,
  deprecated: false,
  ...extra
})

/** A list body `{ data: [Item], ...extra }`, Item having an `id`. */
export const listBody = (extra: Readonly<Record<string, unknown>>): JsonSchema => ({
  type: "object",
  properties: { data: { type: "array", items: { type: "object", properties: { id: { type: "string" } } } }, ...extra }
})

const packageDir = (name: string) => fileURLToPath(new URL(`../../node_modules/${name}`, import.meta.url))

export const githubDocument = path.join(packageDir("@octokit/openapi"), "generated", "api.github.com.json")
export const oasExample = (version: "2.0" | "3.0" | "3.1", name: string) =>
  path.join(packageDir("@readme/oas-examples"), version, "json", `${name}.json`)
/** Every JSON document of @readme/oas-examples. */
export const oasExamples = (): ReadonlyArray<string> =>
  (["2.0", "3.0", "3.1"] as const).flatMap((version) =>
    readdirSync(path.dirname(oasExample(version, "x"))).filter((f) => f.endsWith(".json")).map((f) => oasExample(version, f.slice(0, -5)))
  )

/** A real document through the real loader (already-bundled JSON: `toModel`, no network). */
export const loadDocument = (file: string): ApiModel =>
  Effect.runSync(toModel(JSON.parse(readFileSync(file, "utf8")), file))

export const operation = (m: ApiModel, p: string): Operation => {
  const found = m.operations.find((o) => o.method === "get" && o.path === p)
  if (found === undefined) throw new Error(`no GET ${p} in ${m.title}`)
  return found
}

/** The next request the resolved config's paginator makes after a page; undefined when it stops. */
export const nextAfter = (
  spec: SourceSpec<Secret>,
  body: unknown,
  records: ReadonlyArray<unknown>,
  headers: Readonly<Record<string, string>> = {}
): PageRequest | undefined => {
  const resource = spec.resources[0]
  if (resource === undefined) throw new Error("no resource")
  const paginator = fromSpec(resource.paginator)
  const request = paginator.first({ method: "GET", url: "items", params: {} })
  const next = paginator.next({ request, url: `https://api.test/v1/${request.url}`, body, headers, records, index: 0 })
  if (Either.isLeft(next)) throw new Error(next.left.message)
  return Option.getOrUndefined(next.right)
}
