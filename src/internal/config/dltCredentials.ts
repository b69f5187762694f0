/**
 * Auth credentials the way dlt users keep them. dlt accepts `auth: "bearer"` (and the other
 * type names) and auth dicts that leave a field out, and fills each missing field from its
 * config providers: environment variables first, then `.dlt/secrets.toml`, in the sections
 * `sources.rest_api.<source name>.credentials`, `sources.rest_api.credentials`,
 * `sources.credentials` and `credentials` (dlt's tests/sources/rest_api test_auth_shorthands).
 *
 * This runs before the config is decoded: a missing secret field becomes an Effect `Config`
 * that tries those places in that order, read with the other secrets (so a ConfigProvider in
 * context is honoured); a missing `access_token_url`, not a secret, is looked up at once (in
 * the variables the resolution read from the active ConfigProvider beforehand).
 */
import { Config, Redacted } from "effect"
import { existsSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { parse as parseToml } from "smol-toml"

/** The fields each dlt auth type needs, and which of them are secrets. */
const requiredFields: Readonly<Record<string, ReadonlyArray<string>>> = {
  bearer: ["token"],
  api_key: ["api_key"],
  http_basic: ["username", "password"],
  oauth2_client_credentials: ["access_token_url", "client_id", "client_secret"]
}
const plainFields = new Set(["access_token_url"])

/** Where a missing field was looked for, kept with its Config so the error can say so. */
const lookups = new WeakMap<object, string>()

/** "looked in ..." for a Config made here; undefined for any other. */
export const lookedIn = (config: unknown): string | undefined =>
  typeof config === "object" && config !== null ? lookups.get(config) : undefined

export interface CredentialContext {
  /** dlt's source name (the config file's name in snake_case); none for a config object. */
  readonly sourceName: string | undefined
  /** The `.dlt/secrets.toml` files to read, most specific first. */
  readonly tomlFiles: ReadonlyArray<string>
  /**
   * Looks up a variable for a missing plain field (default: process.env). The config
   * resolution passes what the active ConfigProvider holds (`plainFieldVariables`).
   */
  readonly env?: ((name: string) => string | undefined) | undefined
}

/** `.dlt/secrets.toml` beside the config file, then in the working directory. */
export const secretsTomlFiles = (configFile: string | undefined): ReadonlyArray<string> => {
  const dirs = [...(configFile === undefined ? [] : [path.dirname(path.resolve(configFile))]), process.cwd()]
  return [...new Set(dirs.map((d) => path.join(d, ".dlt", "secrets.toml")))]
}

const sectionsOf = (sourceName: string | undefined): ReadonlyArray<ReadonlyArray<string>> => [
  ...(sourceName === undefined ? [] : [["sources", "rest_api", sourceName, "credentials"]]),
  ["sources", "rest_api", "credentials"],
  ["sources", "credentials"],
  ["credentials"]
]

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === "object" && u !== null && !Array.isArray(u)

const readToml = (file: string): Readonly<Record<string, unknown>> | undefined => {
  if (!existsSync(file)) return undefined
  try {
    return parseToml(readFileSync(file, "utf8"))
  } catch {
    return undefined // a broken secrets.toml is reported as "not found there" by the lookup
  }
}

const tomlValue = (doc: Readonly<Record<string, unknown>>, keys: ReadonlyArray<string>): string | undefined => {
  let node: unknown = doc
  for (const key of keys) {
    if (!isRecord(node)) return undefined
    node = node[key]
  }
  return typeof node === "string" || typeof node === "number" ? String(node) : undefined
}

interface Places {
  readonly env: ReadonlyArray<string>
  readonly toml: ReadonlyArray<readonly [file: string, keys: ReadonlyArray<string>]>
  readonly description: string
}

const placesFor = (field: string, context: CredentialContext): Places => {
  const sections = sectionsOf(context.sourceName)
  const env = sections.map((s) => [...s, field].join("__").toUpperCase())
  const toml = context.tomlFiles.flatMap((file) => sections.map((s) => [file, [...s, field]] as const))
  const tables = sections.map((s) => `[${s.join(".")}] ${field}`).join(", ")
  const description = `environment variables ${env.join(", ")}; then ${tables} in ${context.tomlFiles.join(" and ")}`
  return { env, toml, description }
}

/** A missing secret field: a Config trying every place in dlt's order. */
const secretLookup = (field: string, context: CredentialContext, docs: ReadonlyMap<string, Readonly<Record<string, unknown>>>) => {
  const places = placesFor(field, context)
  let config: Config.Config<Redacted.Redacted<string>> = Config.redacted(places.env[0] ?? field)
  for (const name of places.env.slice(1)) config = Config.orElse(config, () => Config.redacted(name))
  for (const [file, keys] of places.toml) {
    const doc = docs.get(file)
    const value = doc === undefined ? undefined : tomlValue(doc, keys)
    if (value !== undefined) {
      config = Config.orElse(config, () => Config.succeed(Redacted.make(value)))
      break
    }
  }
  lookups.set(config, places.description)
  return config
}

/** A missing plain field, looked up now (environment, then secrets.toml). */
const plainLookup = (field: string, context: CredentialContext, docs: ReadonlyMap<string, Readonly<Record<string, unknown>>>) => {
  const places = placesFor(field, context)
  const env = context.env ?? ((name: string) => process.env[name])
  for (const name of places.env) {
    const value = env(name)
    if (value !== undefined && value !== "") return value
  }
  for (const [file, keys] of places.toml) {
    const doc = docs.get(file)
    const value = doc === undefined ? undefined : tomlValue(doc, keys)
    if (value !== undefined) return value
  }
  return undefined
}

/** The variables a missing plain field (`access_token_url`) may be read from, for a source. */
export const plainFieldVariables = (sourceName: string | undefined): ReadonlyArray<string> =>
  [...plainFields].flatMap((field) => placesFor(field, { sourceName, tomlFiles: [] }).env)

/** One auth value with its missing fields filled (or left as they are when it is not dlt's). */
const fillAuth = (auth: unknown, context: CredentialContext, docs: () => ReadonlyMap<string, Readonly<Record<string, unknown>>>): unknown => {
  const object = typeof auth === "string" ? { type: auth } : auth
  if (!isRecord(object) || "authenticate" in object) return auth
  const type = object.type === undefined ? "bearer" : object.type
  const fields = typeof type === "string" ? requiredFields[type] : undefined
  if (fields === undefined) return auth
  const missing = fields.filter((f) => object[f] === undefined || object[f] === null)
  if (missing.length === 0) return object
  const filled: Record<string, unknown> = { ...object }
  for (const field of missing) {
    if (plainFields.has(field)) {
      const value = plainLookup(field, context, docs())
      if (value !== undefined) filled[field] = value
    } else {
      filled[field] = secretLookup(field, context, docs())
    }
  }
  return filled
}

/**
 * The config with every dlt auth (client, resource_defaults and each resource's endpoint)
 * completed from dlt's credential places. Anything else is returned as it came.
 */
export const withDltCredentials = (input: unknown, context: CredentialContext): unknown => {
  if (!isRecord(input)) return input
  let docs: ReadonlyMap<string, Readonly<Record<string, unknown>>> | undefined
  // secrets.toml is read only when some auth needs it.
  const lazyDocs = () => (docs ??= new Map(context.tomlFiles.flatMap((f) => {
    const doc = readToml(f)
    return doc === undefined ? [] : [[f, doc] as const]
  })))
  const endpointWithAuth = (endpoint: unknown): unknown =>
    isRecord(endpoint) && endpoint.auth !== undefined && endpoint.auth !== null
      ? { ...endpoint, auth: fillAuth(endpoint.auth, context, lazyDocs) }
      : endpoint
  const resourceWithAuth = (resource: unknown): unknown =>
    isRecord(resource) && resource.endpoint !== undefined ? { ...resource, endpoint: endpointWithAuth(resource.endpoint) } : resource
  const out: Record<string, unknown> = { ...input }
  if (isRecord(input.client) && input.client.auth !== undefined && input.client.auth !== null) {
    out.client = { ...input.client, auth: fillAuth(input.client.auth, context, lazyDocs) }
  }
  if (input.resource_defaults !== undefined) out.resource_defaults = resourceWithAuth(input.resource_defaults)
  if (Array.isArray(input.resources)) out.resources = input.resources.map(resourceWithAuth)
  return out
}
