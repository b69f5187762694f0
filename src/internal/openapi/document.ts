/**
 * Reads an OpenAPI document (Swagger 2.0, OpenAPI 3.0 or 3.1; JSON or YAML; a path, a
 * `file:` URL or an http(s) URL) into the one shape the rest of `init --openapi` reads
 * (model.ts). `@readme/openapi-parser` bundles it: external `$ref`s come in, internal ones are
 * kept, so named schemas stay named (and recursive ones stay finite).
 */
import { Data, Effect } from "effect"
import { fileURLToPath } from "node:url"
import type {
  ApiModel,
  HttpMethod,
  JsonSchema,
  Operation,
  Parameter,
  SecurityRequirement,
  SecurityScheme,
  SuccessResponse
} from "./model.js"

/** The document could not be read or is not an OpenAPI document we know. */
export class OpenApiError extends Data.TaggedError("OpenApiError")<{ readonly source: string; readonly detail: string }> {
  override get message(): string {
    return `OpenAPI document ${this.source}: ${this.detail}`
  }
}

type Json = { readonly [key: string]: unknown }

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)
const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
const arrayOf = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])
const objectOf = (u: unknown): Json => (isObject(u) ? u : {})

const methods: ReadonlyArray<HttpMethod> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

/** Follows a JSON pointer (`#/components/schemas/Issue`) in the document. */
export const pointer = (document: unknown, ref: string): unknown => {
  if (!ref.startsWith("#")) return undefined
  let node: unknown = document
  for (const raw of ref.slice(1).split("/").slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~")
    if (Array.isArray(node)) node = node[Number(key)]
    else if (isObject(node)) node = node[key]
    else return undefined
  }
  return node
}

/** A node, or what its `$ref` points to (a few hops at most: refs to refs). */
const deref = (document: unknown, node: unknown): unknown => {
  let current = node
  for (let hops = 0; hops < 8 && isObject(current) && typeof current["$ref"] === "string"; hops++) {
    current = pointer(document, current["$ref"])
  }
  return current
}

const versionOf = (document: Json): ApiModel["version"] | undefined => {
  if (document["swagger"] === "2.0") return "2.0"
  const v = str(document["openapi"])
  if (v?.startsWith("3.0")) return "3.0"
  if (v?.startsWith("3.1") || v?.startsWith("3.2")) return "3.1"
  return undefined
}

const baseUrlOf = (document: Json, version: ApiModel["version"]): string | undefined => {
  if (version === "2.0") {
    const host = str(document["host"])
    if (host === undefined) return str(document["basePath"])
    const scheme = arrayOf(document["schemes"]).map(str).find((s) => s === "https") ?? str(arrayOf(document["schemes"])[0]) ?? "https"
    return `${scheme}://${host}${str(document["basePath"]) ?? ""}`
  }
  const server = objectOf(arrayOf(document["servers"])[0])
  const url = str(server["url"])
  if (url === undefined) return undefined
  const variables = objectOf(server["variables"])
  return url.replace(/\{([^}]+)\}/g, (whole, name: string) => str(objectOf(variables[name])["default"]) ?? whole)
}

/** A 2.0 parameter's inline type made a schema (3.x parameters have `schema`). */
const parameterSchema = (p: Json): JsonSchema | undefined => {
  if (isObject(p["schema"])) return p["schema"]
  if (p["type"] === undefined) return undefined
  const keys = ["type", "format", "enum", "items", "default", "minimum", "maximum", "x-nullable"]
  return Object.fromEntries(keys.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]))
}

const parametersOf = (document: unknown, pathLevel: unknown, operationLevel: unknown): ReadonlyArray<Parameter> => {
  const byKey = new Map<string, Parameter>()
  for (const raw of [...arrayOf(pathLevel), ...arrayOf(operationLevel)]) {
    const p = deref(document, raw)
    if (!isObject(p)) continue
    const name = str(p["name"])
    const place = str(p["in"])
    if (name === undefined || (place !== "query" && place !== "path" && place !== "header" && place !== "cookie")) continue
    // A parameter's own `example` (2.0: `x-example`) is its schema's, for the value init writes.
    const schema = parameterSchema(p)
    const example = p["example"] ?? p["x-example"]
    byKey.set(`${place}:${name}`, {
      name,
      in: place,
      required: p["required"] === true || place === "path",
      schema: example !== undefined && isObject(schema) && schema["example"] === undefined ? { ...schema, example } : schema,
      description: str(p["description"])
    })
  }
  return [...byKey.values()]
}

const isJsonMedia = (type: string): boolean => /^application\/(.+\+)?json\b/i.test(type) || type === "*/*"

const examplesOf = (document: unknown, media: Json): ReadonlyArray<unknown> => {
  const out: Array<unknown> = []
  if (media["example"] !== undefined) out.push(media["example"])
  for (const raw of Object.values(objectOf(media["examples"]))) {
    const example = objectOf(deref(document, raw))
    if (example["value"] !== undefined) out.push(example["value"])
  }
  return out
}

const successOf = (document: unknown, responses: unknown, version: ApiModel["version"]): SuccessResponse | undefined => {
  const all = objectOf(responses)
  const status = ["200", ...Object.keys(all).filter((s) => /^2\d\d$|^2XX$/i.test(s) && s !== "200").sort(), "default"]
    .find((s) => all[s] !== undefined)
  if (status === undefined) return undefined
  const response = objectOf(deref(document, all[status]))
  const headers = Object.keys(objectOf(response["headers"])).map((h) => h.toLowerCase())
  const description = str(response["description"])
  if (version === "2.0") {
    const examples = objectOf(response["examples"])
    const json = Object.keys(examples).filter(isJsonMedia).map((k) => examples[k])
    const schema = response["schema"]
    return { status, schema: isObject(schema) ? schema : undefined, headers, examples: json, description }
  }
  const content = objectOf(response["content"])
  const mediaType = Object.keys(content).find(isJsonMedia)
  const media = mediaType === undefined ? {} : objectOf(content[mediaType])
  const schema = media["schema"]
  return { status, schema: isObject(schema) || typeof schema === "boolean" ? schema : undefined, headers, examples: examplesOf(document, media), description }
}

const requirementsOf = (u: unknown): ReadonlyArray<SecurityRequirement> | undefined =>
  Array.isArray(u)
    ? u.filter(isObject).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, arrayOf(v).map(String)])))
    : undefined

const schemeOf = (raw: Json): SecurityScheme => {
  const description = str(raw["description"])
  switch (raw["type"]) {
    case "apiKey": {
      const place = str(raw["in"])
      return {
        type: "apiKey",
        name: str(raw["name"]) ?? "api_key",
        in: place === "query" || place === "cookie" ? place : "header",
        description
      }
    }
    case "basic":
      return { type: "http", scheme: "basic", description }
    case "http":
      return { type: "http", scheme: (str(raw["scheme"]) ?? "bearer").toLowerCase(), description }
    case "oauth2": {
      // 3.x: flows.{clientCredentials,...}; 2.0: one flow, `application` being client credentials.
      const flows = objectOf(raw["flows"])
      const names = raw["flow"] === undefined ? Object.keys(flows) : [raw["flow"] === "application" ? "clientCredentials" : String(raw["flow"])]
      const cc = raw["flow"] === "application" ? raw : objectOf(flows["clientCredentials"])
      const scopes = new Set<string>()
      for (const flow of raw["flow"] === undefined ? Object.values(flows) : [raw]) for (const s of Object.keys(objectOf(objectOf(flow)["scopes"]))) scopes.add(s)
      return { type: "oauth2", clientCredentialsTokenUrl: str(cc["tokenUrl"]), flows: names, scopes: [...scopes], description }
    }
    case "openIdConnect":
    case "mutualTLS":
      return { type: raw["type"], description }
    default:
      return { type: "unknown", description }
  }
}

/** The document (already parsed and bundled) in the model's shape. */
export const toModel = (document: unknown, source: string): Effect.Effect<ApiModel, OpenApiError> =>
  Effect.suspend(() => {
    if (!isObject(document)) return Effect.fail(new OpenApiError({ source, detail: "is not a JSON or YAML object" }))
    const version = versionOf(document)
    if (version === undefined) {
      return Effect.fail(new OpenApiError({ source, detail: "has neither `openapi: 3.x` nor `swagger: \"2.0\"`" }))
    }
    const operations: Array<Operation> = []
    for (const [path, rawItem] of Object.entries(objectOf(document["paths"]))) {
      const item = objectOf(deref(document, rawItem))
      for (const method of methods) {
        const op = item[method]
        if (!isObject(op)) continue
        operations.push({
          method,
          path,
          operationId: str(op["operationId"]),
          summary: str(op["summary"]),
          tags: arrayOf(op["tags"]).map(String),
          parameters: parametersOf(document, item["parameters"], op["parameters"]),
          response: successOf(document, op["responses"], version),
          security: requirementsOf(op["security"]),
          deprecated: op["deprecated"] === true
        })
      }
    }
    const info = objectOf(document["info"])
    const schemas = version === "2.0" ? objectOf(document["definitions"]) : objectOf(objectOf(document["components"])["schemas"])
    const rawSchemes = version === "2.0" ? objectOf(document["securityDefinitions"]) : objectOf(objectOf(document["components"])["securitySchemes"])
    const securitySchemes: Record<string, SecurityScheme> = {}
    for (const [name, raw] of Object.entries(rawSchemes)) {
      const scheme = deref(document, raw)
      if (isObject(scheme)) securitySchemes[name] = schemeOf(scheme)
    }
    return Effect.succeed({
      version,
      title: str(info["title"]) ?? "api",
      description: str(info["description"]),
      baseUrl: baseUrlOf(document, version),
      operations,
      schemas: Object.fromEntries(Object.entries(schemas).filter((e): e is [string, JsonSchema] => isObject(e[1]) || typeof e[1] === "boolean")),
      schemaRefPrefix: version === "2.0" ? "#/definitions/" : "#/components/schemas/",
      securitySchemes,
      security: requirementsOf(document["security"]) ?? [],
      resolve: (ref: string) => pointer(document, ref)
    })
  })

/** A path, a `file:` URL or an http(s) URL, as the parser takes it. */
const locationOf = (source: string): string => (source.startsWith("file:") ? fileURLToPath(source) : source)

/** Reads and bundles the document (external `$ref`s in, internal ones kept), then makes the model. */
export const load = (source: string): Effect.Effect<ApiModel, OpenApiError> =>
  Effect.tryPromise({
    try: async () => {
      // Loaded here, not at the top: only `init` needs the parser.
      const parser = await import("@readme/openapi-parser")
      try {
        return { document: await parser.bundle(locationOf(source)), notes: [] }
      } catch (e) {
        // A `$ref` that leads nowhere (documents have them, often unused) need not stop the rest:
        // read the document as it is; what leads there is taken as untyped.
        if (!(e instanceof parser.MissingPointerError)) throw e
        return { document: await parser.parse(locationOf(source)), notes: [`${e.message}: what refers to it is read as untyped`] }
      }
    },
    catch: (e) => new OpenApiError({ source, detail: e instanceof Error ? e.message : String(e) })
  }).pipe(Effect.flatMap(({ document, notes }) => Effect.map(toModel(document, source), (model) => ({ ...model, notes }))))
