/**
 * From the decoded dlt dictionary to what the runtime needs: resource_defaults merged the
 * way dlt merges them, paginators built (their expressions parsed), data selectors parsed,
 * and every key whose behaviour is not built yet refused with a clear error.
 * Pure: all problems are collected and reported together, before any request is sent.
 */
import { Duration, Either, Predicate, Schema } from "effect"
import * as DataSelector from "../extract/DataSelector.js"
import type * as Auth from "../http/Auth.js"
import * as Retry from "../http/Retry.js"
import * as Cursor from "../paginate/Cursor.js"
import * as Expression from "../paginate/Expression.js"
import * as JsonLink from "../paginate/JsonLink.js"
import { body, type Paginator, type Placement, query, type StopCondition } from "../paginate/Paginator.js"
import * as Range from "../paginate/Range.js"
import * as SinglePage from "../paginate/SinglePage.js"
import { ConfigError, type ConfigIssue, fromParseError, issue, joinPath } from "./ConfigError.js"
import {
  type AuthConfig,
  type EndpointConfig,
  type PaginatorConfig,
  type ResourceConfig,
  type ResourceDefaults,
  RestApiConfig,
  type RetryConfig,
  type SecretString,
  type WriteDispositionConfig
} from "./RestApiConfig.js"

/** A value that may be secret, with the config path it came from (for "not set" errors). */
export interface SecretInput {
  readonly path: string
  readonly input: SecretString
}

/** A header or query value: plain text, or a secret (kept redacted). */
export type Value<S> = { readonly _tag: "Plain"; readonly value: string } | { readonly _tag: "Secret"; readonly secret: S }

export interface ResolvedClient<S> {
  readonly baseUrl: string
  readonly headers: Readonly<Record<string, Value<S>>>
  readonly auth: Auth.Auth<S> | undefined
  readonly retry: Retry.RetryPolicy
  readonly timeout: Duration.Duration
}

export type WriteDisposition = "append" | "replace" | "merge"

export interface ResolvedResource<S> {
  readonly name: string
  /** Where in the config the resource is defined, e.g. `resources[2]`. */
  readonly configPath: string
  /** Table name as configured (normalized to snake_case by the loader). */
  readonly tableName: string
  readonly path: string
  readonly params: Readonly<Record<string, Value<S>>>
  readonly headers: Readonly<Record<string, Value<S>>>
  /** undefined = detect on the first page, as dlt does. */
  readonly dataSelector: DataSelector.DataSelector | undefined
  readonly paginator: Paginator
  readonly primaryKey: ReadonlyArray<string>
  readonly writeDisposition: WriteDisposition
  readonly maxTableNesting: number | undefined
  readonly selected: boolean
  readonly schema: Schema.Schema.AnyNoContext | undefined
}

export interface ResolvedSource<S> {
  readonly client: ResolvedClient<S>
  readonly resources: ReadonlyArray<ResolvedResource<S>>
}

/** Decodes a dlt `rest_api` dictionary (JSON, YAML or a TS object) and resolves it. */
export const resolveConfig = (input: unknown, file?: string): Either.Either<ResolvedSource<SecretInput>, ConfigError> =>
  Schema.decodeUnknownEither(RestApiConfig, { errors: "all", onExcessProperty: "error" })(input).pipe(
    Either.mapLeft((e) => new ConfigError({ file, issues: fromParseError(e) })),
    Either.flatMap((config) => {
      const issues: Array<ConfigIssue> = []
      const resolved = resolve(config, issues)
      return issues.length === 0 ? Either.right(resolved) : Either.left(new ConfigError({ file, issues }))
    })
  )

const notSupported = (issues: Array<ConfigIssue>, path: string, what: string) =>
  issues.push(issue(path, `${what} is not supported yet (recognised, planned for a later version)`))

// ---------------------------------------------------------------- merging (dlt's _merge_resource_endpoints)

type EndpointObject = EndpointConfig
type ResourceObject = ResourceConfig

const asEndpoint = (endpoint: string | EndpointObject | undefined): EndpointObject | undefined =>
  typeof endpoint === "string" ? { path: endpoint } : endpoint

const isPlainObject = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && !Schema.isSchema(u)

/**
 * Defaults fill the keys a resource does not set; inside `endpoint` key by key too. Where
 * both set a key the resource wins whole, except `params` and `json`, merged one level deep.
 */
export const mergeDefaults = (resource: ResourceObject, defaults: ResourceDefaults | undefined): ResourceObject => {
  if (defaults === undefined) return resource
  const own = asEndpoint(resource.endpoint)
  const base = asEndpoint(defaults.endpoint)
  let endpoint: EndpointObject | undefined = own ?? base
  if (own !== undefined && base !== undefined) {
    const mergedJson = isPlainObject(base.json) && isPlainObject(own.json) ? { ...base.json, ...own.json } : (own.json ?? base.json)
    endpoint = {
      ...base,
      ...own,
      ...(base.params !== undefined || own.params !== undefined ? { params: { ...base.params, ...own.params } } : {}),
      ...(mergedJson !== undefined ? { json: mergedJson } : {})
    }
  }
  const { endpoint: _ignored, ...defaultsRest } = defaults
  return { ...defaultsRest, ...resource, ...(endpoint !== undefined ? { endpoint } : {}) }
}

// ---------------------------------------------------------------- resolution

const resolve = (config: RestApiConfig, issues: Array<ConfigIssue>): ResolvedSource<SecretInput> => {
  const client = resolveClient(config.client, issues)
  if (config.resource_defaults !== undefined && "name" in config.resource_defaults) {
    issues.push(issue("resource_defaults.name", "a default cannot set a resource's name"))
  }
  const seen = new Set<string>()
  const resources = config.resources.flatMap((entry, index) => {
    const path = `resources[${index}]`
    const own: ResourceObject = typeof entry === "string" ? { name: entry, endpoint: { path: entry } } : entry
    if (seen.has(own.name)) issues.push(issue(`${path}.name`, `duplicate resource name '${own.name}'`))
    seen.add(own.name)
    const resolved = resolveResource(mergeDefaults(own, config.resource_defaults), path, config, issues)
    return resolved === undefined ? [] : [resolved]
  })
  return { client, resources }
}

const secret = (path: string, input: SecretString): SecretInput => ({ path, input })

const resolveValues = (
  values: Readonly<Record<string, unknown>> | undefined,
  path: string,
  issues: Array<ConfigIssue>
): Record<string, Value<SecretInput>> => {
  const out: Record<string, Value<SecretInput>> = {}
  for (const [key, value] of Object.entries(values ?? {})) {
    const at = joinPath(path, key)
    if (value === null || value === undefined) continue // dropped, as requests drops None params
    if (typeof value === "string") {
      if (/\{(resources|incremental)\./.test(value)) {
        notSupported(issues, at, `placeholder ${JSON.stringify(value)} (parent/child and incremental)`)
      }
      out[key] = { _tag: "Plain", value }
    } else if (typeof value === "number" || typeof value === "boolean") {
      out[key] = { _tag: "Plain", value: String(value) }
    } else if (isSecretLike(value)) {
      out[key] = { _tag: "Secret", secret: secret(at, value) }
    } else if (isPlainObject(value) && (value.type === "resolve" || value.type === "incremental")) {
      notSupported(issues, at, `{ type: "${String(value.type)}" } params`)
    } else {
      issues.push(issue(at, `expected a string, number, boolean, null or { secret: NAME }, found ${JSON.stringify(value)}`))
    }
  }
  return out
}

const isSecretLike = (u: unknown): u is SecretString =>
  Schema.is(Schema.Struct({ secret: Schema.String }))(u) || Predicate.hasProperty(u, Symbol.for("effect/Redacted")) ||
  Predicate.hasProperty(u, Symbol.for("effect/Config"))

const resolveClient = (client: RestApiConfig["client"], issues: Array<ConfigIssue>): ResolvedClient<SecretInput> => {
  let baseUrl = client.base_url
  try {
    const url = new URL(client.base_url)
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      issues.push(issue("client.base_url", `expected an http(s) URL, found ${JSON.stringify(client.base_url)}`))
    }
    baseUrl = url.toString()
  } catch {
    issues.push(issue("client.base_url", `not a valid URL: ${JSON.stringify(client.base_url)}`))
  }
  if (client.session !== undefined) notSupported(issues, "client.session", "a custom session")
  const headers: Record<string, Value<SecretInput>> = {}
  for (const [key, value] of Object.entries(client.headers ?? {})) {
    headers[key] = typeof value === "string"
      ? { _tag: "Plain", value }
      : { _tag: "Secret", secret: secret(joinPath("client.headers", key), value) }
  }
  return {
    baseUrl,
    headers,
    auth: client.auth === undefined || client.auth === null ? undefined : resolveAuth(client.auth, "client.auth", issues),
    retry: resolveRetry(client.retry),
    timeout: Duration.seconds(client.timeout ?? 60)
  }
}

const resolveRetry = (retry: RetryConfig | undefined): Retry.RetryPolicy => {
  const d = Retry.defaultPolicy
  if (retry === undefined) return d
  return {
    statusCodes: retry.status_codes !== undefined ? new Set(retry.status_codes) : d.statusCodes,
    maxRetries: retry.max_retries ?? d.maxRetries,
    backoffFactor: retry.backoff_factor ?? d.backoffFactor,
    maxDelay: retry.max_delay ?? d.maxDelay,
    respectRetryAfter: retry.respect_retry_after ?? d.respectRetryAfter,
    jitter: retry.jitter ?? d.jitter
  }
}

const resolveAuth = (auth: AuthConfig, path: string, issues: Array<ConfigIssue>): Auth.Auth<SecretInput> | undefined => {
  if (typeof auth === "string") {
    issues.push(issue(path, `auth type '${auth}' needs its parameters: write it as an object, e.g. { type: "${auth}", ... }`))
    return undefined
  }
  switch (auth.type) {
    case undefined:
    case "bearer":
      return { _tag: "Bearer", token: secret(`${path}.token`, auth.token) }
    case "api_key": {
      const location = auth.location ?? "header"
      if (location === "cookie") {
        notSupported(issues, `${path}.location`, "api_key in a cookie")
        return undefined
      }
      return {
        _tag: "ApiKey",
        name: auth.name ?? "Authorization",
        location: location === "param" ? "query" : location,
        apiKey: secret(`${path}.api_key`, auth.api_key)
      }
    }
    case "http_basic":
      return {
        _tag: "HttpBasic",
        username: secret(`${path}.username`, auth.username),
        password: secret(`${path}.password`, auth.password)
      }
    case "oauth2_client_credentials":
      notSupported(issues, `${path}.type`, "auth type 'oauth2_client_credentials'")
      return undefined
  }
}

const dispositionOf = (
  value: WriteDispositionConfig | undefined,
  path: string,
  issues: Array<ConfigIssue>
): WriteDisposition => {
  if (value === undefined) return "append"
  if (typeof value === "string") return value
  const strategy = value.strategy
  if (strategy !== undefined) {
    if (value.disposition !== "merge") {
      if (value.disposition === "replace" && ["truncate-and-insert", "insert-from-staging", "staging-optimized"].includes(strategy)) {
        return "replace" // all three end in the same table contents; ours is always atomic
      }
      issues.push(issue(`${path}.strategy`, `strategy '${strategy}' does not apply to '${value.disposition}'`))
    } else if (strategy !== "upsert" && strategy !== "delete-insert") {
      notSupported(issues, `${path}.strategy`, `merge strategy '${strategy}'`)
    }
  }
  return value.disposition
}

const keyList = (key: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  key === undefined ? [] : typeof key === "string" ? [key] : key

/** Keys recognised by the config contract whose behaviour comes in a later version. */
const laterResourceKeys = [
  "merge_key",
  "columns",
  "include_from_parent",
  "processing_steps",
  "schema_contract",
  "table_format",
  "file_format",
  "references",
  "nested_hints"
] as const

const resolveResource = (
  resource: ResourceObject,
  path: string,
  config: RestApiConfig,
  issues: Array<ConfigIssue>
): ResolvedResource<SecretInput> | undefined => {
  const before = issues.length
  for (const key of laterResourceKeys) {
    if (resource[key] !== undefined) notSupported(issues, `${path}.${key}`, `'${key}'`)
  }
  if (resource.parallelized === true) notSupported(issues, `${path}.parallelized`, "'parallelized'")
  if (typeof resource.table_name === "function") notSupported(issues, `${path}.table_name`, "a table_name function")

  const endpoint: EndpointObject = asEndpoint(resource.endpoint) ?? { path: resource.name }
  const ep = `${path}.endpoint`
  const endpointPath = endpoint.path ?? resource.name
  if (/\{[^{}]*\}/.test(endpointPath.replace(/\{\{|\}\}/g, ""))) {
    notSupported(issues, `${ep}.path`, `placeholder in path ${JSON.stringify(endpointPath)} (parent/child resources)`)
  }
  if (endpoint.method !== undefined && endpoint.method.toUpperCase() === "POST") notSupported(issues, `${ep}.method`, "method POST")
  if (endpoint.json !== undefined) notSupported(issues, `${ep}.json`, "a JSON request body")
  if (endpoint.data !== undefined) notSupported(issues, `${ep}.data`, "a form request body")
  if (endpoint.response_actions !== undefined) notSupported(issues, `${ep}.response_actions`, "'response_actions'")
  if (endpoint.incremental !== undefined) notSupported(issues, `${ep}.incremental`, "'incremental'")
  if (endpoint.auth !== undefined) notSupported(issues, `${ep}.auth`, "a per-endpoint auth")

  let dataSelector: DataSelector.DataSelector | undefined
  if (endpoint.data_selector !== undefined) {
    const parsed = DataSelector.parse(endpoint.data_selector)
    if (Either.isLeft(parsed)) issues.push(issue(`${ep}.data_selector`, parsed.left.message))
    else dataSelector = parsed.right
  }

  // Paginator precedence: endpoint (incl. resource_defaults.endpoint) > client.
  const paginatorPath = endpoint.paginator !== undefined
    ? `${ep}.paginator`
    : "client.paginator"
  const paginatorConfig = endpoint.paginator !== undefined ? endpoint.paginator : config.client.paginator
  const paginator = resolvePaginator(paginatorConfig ?? undefined, paginatorPath, issues)

  const headers: Record<string, Value<SecretInput>> = {}
  for (const [key, value] of Object.entries(endpoint.headers ?? {})) {
    headers[key] = typeof value === "string"
      ? { _tag: "Plain", value }
      : { _tag: "Secret", secret: secret(joinPath(`${ep}.headers`, key), value) }
  }
  const params = resolveValues(endpoint.params, `${ep}.params`, issues)
  const writeDisposition = dispositionOf(resource.write_disposition, `${path}.write_disposition`, issues)
  const primaryKey = keyList(resource.primary_key)
  if (writeDisposition === "merge" && primaryKey.length === 0) {
    issues.push(issue(`${path}.primary_key`, "write_disposition 'merge' needs a primary_key (a column name or a list of them)"))
  }

  if (issues.length > before || paginator === undefined) return undefined
  return {
    name: resource.name,
    configPath: path,
    tableName: typeof resource.table_name === "string" ? resource.table_name : resource.name,
    path: endpointPath,
    params,
    headers,
    dataSelector,
    paginator,
    primaryKey,
    writeDisposition,
    maxTableNesting: resource.max_table_nesting,
    selected: resource.selected ?? true,
    schema: resource.schema
  }
}

// ---------------------------------------------------------------- paginators

const parsePath = (source: string, path: string, issues: Array<ConfigIssue>): DataSelector.DataSelector | undefined => {
  const parsed = DataSelector.parse(source)
  if (Either.isLeft(parsed)) {
    issues.push(issue(path, parsed.left.message))
    return undefined
  }
  return parsed.right
}

const parseCondition = (
  value: string | ((...args: ReadonlyArray<never>) => unknown) | undefined,
  path: string,
  issues: Array<ConfigIssue>
): StopCondition | undefined => {
  if (value === undefined) return undefined
  if (typeof value === "function") {
    const f = value
    return { _tag: "Function", f: (scope) => Reflect.apply(f, undefined, [scope]) }
  }
  const parsed = Expression.parse(value, Expression.PaginationNames)
  if (Either.isLeft(parsed)) {
    issues.push(issue(path, parsed.left.message))
    return undefined
  }
  return { _tag: "Expression", expression: parsed.right }
}

type PaginatorObject = Exclude<PaginatorConfig, string>

/** The string form (`paginator: "cursor"`) is the object form with dlt's defaults. */
const paginatorObject = (config: PaginatorConfig, path: string, issues: Array<ConfigIssue>): PaginatorObject | undefined => {
  if (typeof config !== "string") return config
  if (config === "offset") {
    issues.push(issue(path, "the offset paginator needs 'limit': write it as { type: \"offset\", limit: N }"))
    return undefined
  }
  return { type: config }
}

const resolvePaginator = (
  config: PaginatorConfig | undefined,
  path: string,
  issues: Array<ConfigIssue>
): Paginator | undefined => {
  if (config === undefined) {
    issues.push(issue(
      path,
      "no paginator given: dlt's auto-detection is not supported yet; set one, e.g. \"single_page\" or { type: \"cursor\", ... }"
    ))
    return undefined
  }
  const spec = paginatorObject(config, path, issues)
  if (spec === undefined) return undefined
  const before = issues.length
  const stopCondition = parseCondition(spec.stop_condition, `${path}.stop_condition`, issues)
  const optPath = (source: string | null | undefined, key: string) =>
    source === undefined || source === null ? undefined : parsePath(source, `${path}.${key}`, issues)
  const done = (paginator: Paginator) => (issues.length > before ? undefined : paginator)
  switch (spec.type) {
    case "single_page":
      return done(SinglePage.make())
    case "json_link":
    case "json_response": {
      const next = parsePath(spec.next_url_path ?? "next", `${path}.next_url_path`, issues)
      return next === undefined ? undefined : done(JsonLink.make({ nextUrlPath: next, stopCondition }))
    }
    case "cursor": {
      if (spec.cursor_value !== undefined && spec.cursor_path !== undefined) {
        issues.push(issue(`${path}.cursor_value`, "cursor_value and cursor_path exclude each other: give one"))
      }
      return done(Cursor.make({
        cursorPath: optPath(spec.cursor_path, "cursor_path"),
        cursorPlacement: placement(spec.cursor_param, spec.cursor_body_path, "cursor", "cursor_param", path, issues),
        fallbackKey: spec.cursor_param ?? "cursor",
        cursorValue: parseCondition(spec.cursor_value, `${path}.cursor_value`, issues),
        limit: spec.limit,
        limitPlacement: query(spec.limit_param ?? "limit"),
        stopAfterEmptyPage: spec.stop_after_empty_page ?? false,
        hasMorePath: optPath(spec.has_more_path, "has_more_path"),
        stopCondition
      }))
    }
    case "offset": {
      const totalPath = spec.total_path === undefined ? "total" : spec.total_path
      const maximum = spec.maximum_offset ?? undefined
      const stopAfterEmptyPage = spec.stop_after_empty_page ?? true
      requireTermination(totalPath, maximum, spec.has_more_path, stopAfterEmptyPage, stopCondition, path, issues)
      return done(Range.make({
        type: "offset",
        placement: placement(spec.offset_param, spec.offset_body_path, "offset", "offset_param", path, issues),
        initial: spec.offset ?? 0,
        step: spec.limit,
        fixed: {
          placement: placement(spec.limit_param, spec.limit_body_path, "limit", "limit_param", path, issues),
          value: spec.limit
        },
        totalPath: optPath(totalPath, "total_path"),
        totalToEnd: (total) => total,
        maximum,
        stopAfterEmptyPage,
        hasMorePath: optPath(spec.has_more_path, "has_more_path"),
        stopCondition
      }))
    }
    case "page_number": {
      const base = spec.base_page ?? 0
      const totalPath = spec.total_path === undefined ? "total" : spec.total_path
      const maximum = spec.maximum_page ?? undefined
      const stopAfterEmptyPage = spec.stop_after_empty_page ?? true
      requireTermination(totalPath, maximum, spec.has_more_path, stopAfterEmptyPage, stopCondition, path, issues)
      return done(Range.make({
        type: "page_number",
        placement: placement(spec.page_param, spec.page_body_path, "page", "page_param", path, issues),
        initial: spec.page ?? base,
        step: 1,
        fixed: undefined,
        totalPath: optPath(totalPath, "total_path"),
        // dlt's total_path counts pages, so the last page is number total - 1 + base.
        totalToEnd: (total) => total + base,
        maximum,
        stopAfterEmptyPage,
        hasMorePath: optPath(spec.has_more_path, "has_more_path"),
        stopCondition
      }))
    }
    case "header_link":
    case "header_cursor":
    case "auto":
      notSupported(issues, `${path}.type`, `paginator type '${spec.type}'`)
      return undefined
  }
}

/** A `*_param` or its `*_body_path` (they exclude each other, as in dlt). */
const placement = (
  param: string | undefined,
  bodyPath: string | undefined,
  defaultParam: string,
  paramKey: string,
  path: string,
  issues: Array<ConfigIssue>
): Placement => {
  if (bodyPath === undefined) return query(param ?? defaultParam)
  if (param !== undefined) {
    issues.push(issue(`${path}.${paramKey}`, `${paramKey} and its body path exclude each other: give one`))
  }
  return body(bodyPath)
}

/** dlt refuses a range paginator that could page forever (test_guarantee_termination). */
const requireTermination = (
  totalPath: string | null | undefined,
  maximum: number | undefined | null,
  hasMorePath: string | null | undefined,
  stopAfterEmptyPage: boolean,
  stopCondition: unknown,
  path: string,
  issues: Array<ConfigIssue>
) => {
  if (
    (totalPath === undefined || totalPath === null) && (maximum === undefined || maximum === null) &&
    (hasMorePath === undefined || hasMorePath === null) && !stopAfterEmptyPage && stopCondition === undefined
  ) {
    issues.push(
      issue(path, "this paginator could never stop: set one of total_path, maximum_*, has_more_path, stop_after_empty_page or stop_condition")
    )
  }
}
