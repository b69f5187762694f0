/**
 * A minimal ApiModel from a raw OpenAPI 3.0/3.1 or Swagger 2.0 document, for the detectors'
 * tests against real documents (the real loader, document.ts, is written separately): `$ref`s
 * of parameters, responses and headers followed, schemas kept with their `$ref`s.
 */
import { readFileSync } from "node:fs"
import type {
  ApiModel,
  HttpMethod,
  Operation,
  Parameter,
  SecurityRequirement,
  SecurityScheme,
  SuccessResponse
} from "../../src/internal/openapi/model.js"

type Obj = { readonly [key: string]: unknown }
const isObj = (u: unknown): u is Obj => typeof u === "object" && u !== null && !Array.isArray(u)
const obj = (u: unknown): Obj => (isObj(u) ? u : {})
const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
const list = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])

const methods: ReadonlyArray<HttpMethod> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

export const readDocument = (file: string): Obj => obj(JSON.parse(readFileSync(file, "utf8")))

export const modelFromDocument = (doc: Obj): ApiModel => {
  const swagger = str(doc.swagger) === "2.0"
  const resolve = (ref: string): unknown => {
    if (!ref.startsWith("#/")) return undefined
    let current: unknown = doc
    for (const raw of ref.slice(2).split("/")) {
      const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~")
      if (!isObj(current)) return undefined
      current = current[key]
    }
    return current
  }
  const deref = (u: unknown): Obj => {
    let current = obj(u)
    for (let i = 0; i < 16 && typeof current.$ref === "string"; i++) current = obj(resolve(current.$ref))
    return current
  }
  const parameter = (raw: unknown): Parameter | undefined => {
    const p = deref(raw)
    const where = str(p.in)
    const name = str(p.name)
    if (name === undefined || (where !== "query" && where !== "path" && where !== "header" && where !== "cookie")) return undefined
    const { name: _n, in: _i, required: _r, description: _d, ...inline } = p
    return {
      name,
      in: where,
      required: p.required === true,
      schema: swagger ? inline : isObj(p.schema) ? p.schema : undefined,
      description: str(p.description)
    }
  }
  const response = (responses: Obj): SuccessResponse | undefined => {
    const status = "200" in responses ? "200" : Object.keys(responses).find((s) => /^2/.test(s)) ?? ("default" in responses ? "default" : undefined)
    if (status === undefined) return undefined
    const r = deref(responses[status])
    const content = obj(r.content)
    const json = obj(content["application/json"] ?? Object.entries(content).find(([t]) => /json/.test(t))?.[1])
    const schema = swagger ? r.schema : json.schema
    const examples = swagger
      ? Object.values(obj(r.examples))
      : [...(json.example === undefined ? [] : [json.example]), ...Object.values(obj(json.examples)).map((e) => deref(e).value)]
    return {
      status,
      schema: isObj(schema) ? schema : undefined,
      headers: Object.keys(obj(r.headers)).map((h) => h.toLowerCase()),
      examples: examples.filter((e) => e !== undefined),
      description: str(r.description)
    }
  }
  const requirements = (u: unknown): ReadonlyArray<SecurityRequirement> =>
    list(u).map((r) => Object.fromEntries(Object.entries(obj(r)).map(([k, v]) => [k, list(v).flatMap((s) => str(s) ?? [])])))
  const operations: Array<Operation> = []
  for (const [path, rawItem] of Object.entries(obj(doc.paths))) {
    const item = deref(rawItem)
    for (const method of methods) {
      const op = obj(item[method])
      if (!isObj(item[method])) continue
      const own = list(op.parameters).flatMap((p) => parameter(p) ?? [])
      const shared = list(item.parameters).flatMap((p) => parameter(p) ?? []).filter((p) => !own.some((o) => o.name === p.name && o.in === p.in))
      operations.push({
        method,
        path,
        operationId: str(op.operationId),
        summary: str(op.summary),
        tags: list(op.tags).flatMap((t) => str(t) ?? []),
        parameters: [...shared, ...own],
        response: response(obj(op.responses)),
        security: op.security === undefined ? undefined : requirements(op.security),
        deprecated: op.deprecated === true
      })
    }
  }
  const schemes: Record<string, SecurityScheme> = {}
  const rawSchemes = swagger ? obj(doc.securityDefinitions) : obj(obj(doc.components).securitySchemes)
  for (const [name, raw] of Object.entries(rawSchemes)) {
    const s = deref(raw)
    const description = str(s.description)
    const type = str(s.type)
    if (type === "apiKey") {
      const where = str(s.in)
      schemes[name] = { type, name: str(s.name) ?? name, in: where === "query" || where === "cookie" ? where : "header", description }
    } else if (type === "http" || type === "basic") {
      schemes[name] = { type: "http", scheme: type === "basic" ? "basic" : str(s.scheme) ?? "", description }
    } else if (type === "oauth2") {
      const flows = swagger ? [str(s.flow) ?? ""] : Object.keys(obj(s.flows))
      const cc = swagger ? (s.flow === "application" ? s : {}) : obj(obj(s.flows).clientCredentials)
      const scopes = swagger ? obj(s.scopes) : Object.assign({}, ...Object.values(obj(s.flows)).map((f) => obj(obj(f).scopes)))
      schemes[name] = { type, clientCredentialsTokenUrl: str(obj(cc).tokenUrl), flows, scopes: Object.keys(obj(scopes)), description }
    } else {
      schemes[name] = { type: type === "openIdConnect" || type === "mutualTLS" ? type : "unknown", description }
    }
  }
  const server = str(obj(list(doc.servers)[0]).url)
  return {
    version: swagger ? "2.0" : str(doc.openapi)?.startsWith("3.1") === true ? "3.1" : "3.0",
    title: str(obj(doc.info).title) ?? "",
    description: str(obj(doc.info).description),
    baseUrl: swagger ? `${list(doc.schemes).map(str)[0] ?? "https"}://${str(doc.host) ?? "localhost"}${str(doc.basePath) ?? ""}` : server,
    operations,
    schemas: Object.fromEntries(
      Object.entries(swagger ? obj(doc.definitions) : obj(obj(doc.components).schemas))
        .flatMap(([name, s]) => (isObj(s) || typeof s === "boolean" ? [[name, s]] : []))
    ),
    schemaRefPrefix: swagger ? "#/definitions/" : "#/components/schemas/",
    securitySchemes: schemes,
    security: requirements(doc.security),
    resolve
  }
}

export const operation = (model: ApiModel, method: HttpMethod, path: string): Operation => {
  const found = model.operations.find((o) => o.method === method && o.path === path)
  if (found === undefined) throw new Error(`no ${method.toUpperCase()} ${path} in ${model.title}`)
  return found
}
