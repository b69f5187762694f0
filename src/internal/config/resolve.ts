/**
 * From the decoded dlt dictionary to what the runtime needs: resource_defaults merged the
 * way dlt merges them, paginators built (their expressions parsed), data selectors parsed,
 * and every key whose behaviour is not built yet refused with a clear error.
 * Pure: all problems are collected and reported together, before any request is sent.
 */
import { Duration, Either, Option, Predicate, Schema } from "effect"
import * as DataSelector from "../syntax/dataSelector.js"
import type * as Incremental from "../extract/incremental.js"
import type * as Auth from "../http/auth.js"
import type * as RateLimit from "../http/rateLimit.js"
import * as Retry from "../http/retry.js"
import * as Auto from "../paginate/auto.js"
import * as Cursor from "../paginate/cursor.js"
import * as Custom from "../paginate/custom.js"
import * as HeaderCursor from "../paginate/headerCursor.js"
import * as HeaderLink from "../paginate/headerLink.js"
import * as Expression from "../syntax/expression.js"
import * as JsonLink from "../paginate/jsonLink.js"
import { body, type Paginator, type Placement, query, type StopCondition } from "../paginate/paginator.js"
import * as Range from "../paginate/range.js"
import * as SinglePage from "../paginate/singlePage.js"
import * as Template from "../syntax/template.js"
import type { DataType } from "../normalize/tableSchema.js"
import { ConfigError, type ConfigIssue, fromParseError, issue, joinPath } from "./configError.js"
import {
  type AuthConfig,
  type CustomPaginatorConfig,
  type EndpointConfig,
  type PaginatorConfig,
  type ResourceConfig,
  type ResourceDefaults,
  RestApiConfig,
  type RetryConfig,
  type SecretString,
  type WriteDispositionConfig
} from "./schema.js"

/** A value that may be secret, with the config path it came from (for "not set" errors). */
export interface SecretInput {
  readonly path: string
  readonly input: SecretString
}

/** A header or query value: plain text, or a secret (kept redacted). */
export type Value<S> =
  | { readonly _tag: "Plain"; readonly value: string }
  | { readonly _tag: "Secret"; readonly secret: S }
  /** A string with placeholders, rendered per request (parent record, incremental values). */
  | { readonly _tag: "Template"; readonly template: Template.Template }

export interface ResolvedClient<S> {
  readonly baseUrl: string
  readonly headers: Readonly<Record<string, Value<S>>>
  readonly auth: Auth.Auth<S> | undefined
  readonly retry: Retry.RetryPolicy
  readonly timeout: Duration.Duration
  readonly rateLimit: RateLimit.RateLimitOptions | undefined
}

export type WriteDisposition = "append" | "replace" | "merge"

export type MergeStrategy = "delete-insert" | "upsert" | "insert-only" | "scd2"

/** A `columns` hint, column name still as the API spells it (normalized by the loader). */
export interface ColumnHintSpec {
  readonly name: string
  readonly dataType: DataType | undefined
  readonly nullable: boolean | undefined
  readonly primaryKey: boolean | undefined
  readonly mergeKey: boolean | undefined
  readonly hardDelete: boolean | undefined
  readonly dedupSort: "asc" | "desc" | undefined
}

export type ContractMode = "evolve" | "freeze" | "discard_row" | "discard_value"

export interface ResolvedResource<S> {
  readonly name: string
  /** Where in the config the resource is defined, e.g. `resources[2]`. */
  readonly configPath: string
  /** Table name as configured (normalized to snake_case by the loader); the resource name when a function routes records. */
  readonly tableName: string
  /** dlt's `table_name` function (TypeScript configs): the table of each record. */
  readonly tableNameOf?: ((record: unknown) => unknown) | undefined
  readonly method: "GET" | "POST"
  readonly path: Template.Template
  readonly params: Readonly<Record<string, Value<S>>>
  readonly headers: Readonly<Record<string, Value<S>>>
  readonly json: Template.JsonTemplate | undefined
  /** dlt's `data`: a form body (fields, form-encoded) or raw text, with placeholders. */
  readonly form: FormTemplate | undefined
  /** undefined = detect on the first page, as dlt does. */
  readonly dataSelector: DataSelector.DataSelector | undefined
  /** A fresh paginator per stream (auto-detection and custom paginators keep state). */
  readonly makePaginator: () => Paginator
  readonly primaryKey: ReadonlyArray<string>
  readonly writeDisposition: WriteDisposition
  /** For `merge`: dlt's strategy (default `delete-insert`, as dlt). */
  readonly mergeStrategy: MergeStrategy
  /** scd2 options given in `write_disposition` (names as written; undefined = dlt's defaults). */
  readonly scd2: Scd2Config | undefined
  readonly mergeKey: ReadonlyArray<string>
  readonly columnHints: ReadonlyArray<ColumnHintSpec>
  readonly contract: { readonly tables: ContractMode; readonly columns: ContractMode; readonly dataType: ContractMode }
  readonly maxTableNesting: number | undefined
  readonly selected: boolean
  readonly schema: Schema.Schema.AnyNoContext | undefined
  /** The resource whose records this one is fetched for (`{resources.<parent>.<field>}`). */
  readonly parent: string | undefined
  /** Parent fields copied into each record as `_<parent>_<field>`. */
  readonly includeFromParent: ReadonlyArray<string>
  /** Parent records whose children are fetched at once (ours; dlt fetches one after another). */
  readonly concurrency: number
  readonly incremental: IncrementalSpec | undefined
  readonly responseActions: ReadonlyArray<ResponseAction>
  readonly processingSteps: ReadonlyArray<ProcessingStep>
  /** An endpoint's own auth: undefined = the client's, null = none. */
  readonly auth: Auth.Auth<S> | null | undefined
}

export interface IncrementalSpec {
  readonly cursorPath: DataSelector.DataSelector
  readonly initialValue: unknown
  readonly endValue: unknown
  readonly lastValueFunc: "max" | "min" | ((values: ReadonlyArray<unknown>) => unknown)
  readonly rowOrder: "asc" | "desc" | undefined
  readonly lag: number | undefined
  readonly onCursorValueMissing: "raise" | "include" | "exclude"
  readonly rangeStart: "open" | "closed"
  readonly rangeEnd: "open" | "closed"
  readonly primaryKey: ReadonlyArray<string>
  /** dlt's `convert`: applied to the placeholder values before they go into a request. */
  readonly convert: ((value: unknown) => unknown) | undefined
  /** Ours (dlt#3223): the range is requested window by window; `{incremental.end_value}` is each window's end. */
  readonly window: IncrementalWindow | undefined
}

/** A window of date-times (a duration) or of numbers. */
export type IncrementalWindow = Incremental.Window

/** What a response action looks at; a TypeScript action may be a function of it. */
export interface ResponseInfo {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  readonly url: string
}

export type ResponseActionKind = "ignore" | "retry" | "fail"

export type ResponseAction =
  | { readonly _tag: "Match"; readonly statusCode: number | undefined; readonly content: string | undefined; readonly action: ResponseActionKind }
  | { readonly _tag: "Function"; readonly f: (response: ResponseInfo) => ResponseActionKind | undefined }

export type ProcessingStep =
  | { readonly _tag: "filter"; readonly f: (record: unknown) => unknown }
  | { readonly _tag: "map"; readonly f: (record: unknown) => unknown }
  | { readonly _tag: "yield_map"; readonly f: (record: unknown) => Iterable<unknown> | unknown }

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
  checkParents(config, resources, issues)
  return { client, resources }
}

/** Every parent must be a resource of the config, and parents must not form a cycle. */
const checkParents = (
  config: RestApiConfig,
  resources: ReadonlyArray<ResolvedResource<SecretInput>>,
  issues: Array<ConfigIssue>
) => {
  const names = new Set(config.resources.map((r) => (typeof r === "string" ? r : r.name)))
  const byName = new Map(resources.map((r) => [r.name, r]))
  for (const resource of resources) {
    const parent = resource.parent
    if (parent === undefined) continue
    if (!names.has(parent)) {
      issues.push(issue(`${resource.configPath}.endpoint`, `{resources.${parent}.…} names no resource of this config (resources: ${[...names].join(", ")})`))
      continue
    }
    const chain = [resource.name]
    for (let p: string | undefined = parent; p !== undefined; p = byName.get(p)?.parent) {
      if (chain.includes(p)) {
        issues.push(issue(`${resource.configPath}.endpoint`, `parent/child cycle: ${[...chain, p].join(" → ")}`))
        break
      }
      chain.push(p)
    }
  }
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
      out[key] = { _tag: "Plain", value }
    } else if (typeof value === "number" || typeof value === "boolean") {
      out[key] = { _tag: "Plain", value: String(value) }
    } else if (isSecretLike(value)) {
      out[key] = { _tag: "Secret", secret: secret(at, value) }
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
    timeout: Duration.seconds(client.timeout ?? 60),
    rateLimit: client.rate_limit === undefined ? undefined : {
      requestsPerSecond: client.rate_limit.requests_per_second,
      requestsPerMinute: client.rate_limit.requests_per_minute,
      respectHeaders: client.rate_limit.respect_headers
    }
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
  if (!("type" in auth) && "authenticate" in auth) {
    const authenticate = auth.authenticate
    return { _tag: "Custom", authenticate: (request) => Reflect.apply(authenticate, auth, [request]) }
  }
  switch (auth.type) {
    case undefined:
    case "bearer":
      return { _tag: "Bearer", token: secret(`${path}.token`, auth.token) }
    case "api_key": {
      const location = auth.location ?? "header"
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
      return {
        _tag: "OAuth2ClientCredentials",
        accessTokenUrl: auth.access_token_url,
        clientId: secret(`${path}.client_id`, auth.client_id),
        clientSecret: secret(`${path}.client_secret`, auth.client_secret),
        requestData: auth.access_token_request_data ?? {},
        defaultExpiration: auth.default_token_expiration ?? 3600,
        accessToken: auth.access_token === undefined ? undefined : secret(`${path}.access_token`, auth.access_token)
      }
  }
}

export type FormTemplate =
  | { readonly _tag: "Fields"; readonly fields: ReadonlyArray<readonly [string, Template.Template]> }
  | { readonly _tag: "Raw"; readonly template: Template.Template }

/** dlt's `data`: a dict or a list of [name, value] pairs (form fields), or a string (raw body). */
const formOf = (value: unknown, path: string, issues: Array<ConfigIssue>): FormTemplate | undefined => {
  const field = (v: unknown, at: string): Template.Template | undefined => {
    if (typeof v === "string") return orIssue(Template.parse(v), at, issues)
    if (typeof v === "number" || typeof v === "boolean") return orIssue(Template.parse(String(v)), at, issues)
    issues.push(issue(at, `expected a string, number or boolean form value, found ${JSON.stringify(v) ?? typeof v}`))
    return undefined
  }
  if (typeof value === "string") {
    const template = field(value, path)
    return template === undefined ? undefined : { _tag: "Raw", template }
  }
  const pairs: Array<readonly [string, unknown, string]> = []
  if (Array.isArray(value)) {
    value.forEach((pair: unknown, i) => {
      if (Array.isArray(pair) && pair.length === 2 && typeof pair[0] === "string") pairs.push([pair[0], pair[1], `${path}[${i}]`])
      else issues.push(issue(`${path}[${i}]`, "expected a [name, value] pair"))
    })
  } else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) pairs.push([k, v, joinPath(path, k)])
  } else {
    issues.push(issue(path, "expected form fields (an object or a list of [name, value] pairs) or a string"))
    return undefined
  }
  const fields: Array<readonly [string, Template.Template]> = []
  for (const [k, v, at] of pairs) {
    const template = field(v, at)
    if (template !== undefined) fields.push([k, template])
  }
  return { _tag: "Fields", fields }
}

/** The templates of a form body. */
export const formTemplates = (form: FormTemplate | undefined): ReadonlyArray<Template.Template> =>
  form === undefined ? [] : form._tag === "Raw" ? [form.template] : form.fields.map(([, t]) => t)

const mergeStrategies: ReadonlyArray<MergeStrategy> = ["delete-insert", "upsert", "insert-only", "scd2"]

export interface Scd2Config {
  /** undefined: the destination's default names. */
  readonly validFrom: string | undefined
  readonly validTo: string | undefined
  /** ISO timestamps. */
  readonly activeTo: string | undefined
  readonly boundary: string | undefined
  /** dlt's `row_version_column_name`: this column's value is the version's `_rc_id` instead of a row hash. */
  readonly rowVersionColumn: string | undefined
}

/** A timestamp given in the config (ISO text, epoch seconds as dlt takes them, or a Date), as ISO text. */
const timestampOf = (value: unknown, path: string, issues: Array<ConfigIssue>): string | undefined => {
  if (value === undefined || value === null) return undefined
  const date = value instanceof Date
    ? value
    : typeof value === "string"
    ? new Date(value)
    : typeof value === "number"
    ? new Date(value * 1000)
    : undefined
  if (date === undefined || Number.isNaN(date.getTime())) {
    issues.push(issue(path, `expected a timestamp (ISO 8601 text, epoch seconds or a Date), found ${JSON.stringify(value) ?? String(value)}`))
    return undefined
  }
  return date.toISOString()
}

/** dlt's scd2 keys of a write_disposition dictionary; undefined when none is given. */
const scd2Of = (value: Exclude<WriteDispositionConfig, string>, path: string, issues: Array<ConfigIssue>): Scd2Config | undefined => {
  const given = (["validity_column_names", "active_record_timestamp", "boundary_timestamp", "row_version_column_name"] as const)
    .filter((k) => value[k] !== undefined)
  if (given.length === 0) return undefined
  if (value.disposition !== "merge" || value.strategy !== "scd2") {
    for (const key of given) issues.push(issue(`${path}.${key}`, `'${key}' applies only to the scd2 merge strategy`))
    return undefined
  }
  const names = value.validity_column_names
  if (names !== undefined && (names.length !== 2 || names.some((n) => n.trim() === "") || names[0] === names[1])) {
    issues.push(issue(`${path}.validity_column_names`, "expected two different column names: [valid_from, valid_to]"))
  }
  return {
    validFrom: names?.[0],
    validTo: names?.[1],
    activeTo: timestampOf(value.active_record_timestamp, `${path}.active_record_timestamp`, issues),
    boundary: timestampOf(value.boundary_timestamp, `${path}.boundary_timestamp`, issues),
    rowVersionColumn: value.row_version_column_name
  }
}

const dispositionOf = (
  value: WriteDispositionConfig | undefined,
  path: string,
  issues: Array<ConfigIssue>
): { readonly disposition: WriteDisposition; readonly strategy: MergeStrategy; readonly scd2?: Scd2Config | undefined } => {
  if (value === undefined) return { disposition: "append", strategy: "delete-insert" }
  if (typeof value === "string") return { disposition: value, strategy: "delete-insert" }
  const scd2 = scd2Of(value, path, issues)
  const strategy = value.strategy
  if (strategy === undefined) return { disposition: value.disposition, strategy: "delete-insert" }
  if (value.disposition !== "merge") {
    if (value.disposition === "replace" && ["truncate-and-insert", "insert-from-staging", "staging-optimized"].includes(strategy)) {
      // All three end in the same table contents; ours is always atomic.
      return { disposition: "replace", strategy: "delete-insert" }
    }
    issues.push(issue(`${path}.strategy`, `strategy '${strategy}' does not apply to '${value.disposition}'`))
    return { disposition: value.disposition, strategy: "delete-insert" }
  }
  const known = mergeStrategies.find((s) => s === strategy)
  if (known === undefined) {
    issues.push(issue(`${path}.strategy`, `expected one of ${mergeStrategies.join(", ")}, found '${strategy}'`))
    return { disposition: "merge", strategy: "delete-insert" }
  }
  return { disposition: "merge", strategy: known, scd2 }
}

const dataTypeOf = (dlt: string | undefined, path: string, issues: Array<ConfigIssue>): DataType | undefined => {
  switch (dlt) {
    case undefined:
      return undefined
    case "text":
      return "text"
    case "date":
      return "date"
    case "time":
      return "time"
    case "binary":
      return "binary"
    case "double":
      return "double"
    case "bool":
      return "boolean"
    case "timestamp":
      return "timestamptz"
    case "bigint":
      return "bigint"
    case "json":
    case "complex":
      return "jsonb"
    case "decimal":
    case "wei":
      return "numeric"
    default:
      notSupported(issues, path, `data_type '${dlt}'`)
      return undefined
  }
}

const resolveColumns = (
  columns: ResourceObject["columns"],
  path: string,
  issues: Array<ConfigIssue>
): ReadonlyArray<ColumnHintSpec> => {
  if (columns === undefined) return []
  const entries = Array.isArray(columns)
    ? columns.map((c, i) => [c.name, c, `${path}[${i}]`] as const)
    : Object.entries(columns).map(([name, c]) => [name, c, joinPath(path, name)] as const)
  return entries.map(([name, c, at]) => ({
    name,
    dataType: dataTypeOf(c.data_type, `${at}.data_type`, issues),
    nullable: c.nullable,
    primaryKey: c.primary_key,
    mergeKey: c.merge_key,
    hardDelete: c.hard_delete,
    dedupSort: c.dedup_sort
  }))
}

const contractOf = (contract: ResourceObject["schema_contract"]): ResolvedResource<SecretInput>["contract"] => {
  if (contract === undefined) return { tables: "evolve", columns: "evolve", dataType: "evolve" }
  if (typeof contract === "string") return { tables: contract, columns: contract, dataType: contract }
  return { tables: contract.tables ?? "evolve", columns: contract.columns ?? "evolve", dataType: contract.data_type ?? "evolve" }
}

const keyList = (key: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  key === undefined ? [] : typeof key === "string" ? [key] : key

/** Keys recognised by the config contract whose behaviour comes in a later version. */
const laterResourceKeys = [
  "table_format",
  "file_format",
  "references",
  "nested_hints"
] as const

const isFunction = (u: unknown): u is (...args: ReadonlyArray<never>) => unknown => typeof u === "function"

/** Calls a user function from the config with one argument. */
const call1 = (f: (...args: ReadonlyArray<never>) => unknown) => (arg: unknown): unknown => Reflect.apply(f, undefined, [arg])

/** A parse result, or undefined with its error recorded at `path`: every problem is reported, not just the first. */
const orIssue = <A>(
  parsed: Either.Either<A, { readonly message: string }>,
  path: string,
  issues: Array<ConfigIssue>
): A | undefined => {
  if (Either.isRight(parsed)) return parsed.right
  issues.push(issue(path, parsed.left.message))
  return undefined
}

const parseTemplate = (source: string, path: string, issues: Array<ConfigIssue>): Template.Template | undefined =>
  orIssue(Template.parse(source), path, issues)

/** Plain strings with placeholders become templates; other values stay as they are. */
const templated = (
  values: Record<string, Value<SecretInput>>,
  path: string,
  issues: Array<ConfigIssue>
): Record<string, Value<SecretInput>> => {
  const out: Record<string, Value<SecretInput>> = {}
  for (const [key, value] of Object.entries(values)) {
    if (value._tag !== "Plain" || !/[{}]/.test(value.value)) {
      out[key] = value
      continue
    }
    const template = parseTemplate(value.value, joinPath(path, key), issues)
    if (template === undefined) continue
    out[key] = template.parts.every((p) => p._tag === "Text")
      ? { _tag: "Plain", value: template.parts.map((p) => (p._tag === "Text" ? p.text : "")).join("") }
      : { _tag: "Template", template }
  }
  return out
}

const placeholdersOf = (values: Readonly<Record<string, Value<SecretInput>>>): ReadonlyArray<Template.Placeholder> =>
  Object.values(values).flatMap((v) => (v._tag === "Template" ? Template.placeholders(v.template) : []))

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

  const endpoint: EndpointObject = asEndpoint(resource.endpoint) ?? { path: resource.name }
  const ep = `${path}.endpoint`
  const method = endpoint.method === undefined ? "GET" : endpoint.method.toUpperCase() === "POST" ? "POST" : "GET"

  // Parameters given in the legacy dlt forms become placeholders:
  // { type: "resolve", resource, field } binds `{name}` in the path; { type: "incremental", ... } is the old incremental.
  let rawPath = endpoint.path ?? resource.name
  const rawParams: Record<string, unknown> = { ...endpoint.params }
  let legacyIncremental: ResourceIncremental | undefined
  for (const [key, value] of Object.entries(rawParams)) {
    if (!isPlainObject(value)) continue
    if (value.type === "resolve" && typeof value.resource === "string" && typeof value.field === "string") {
      const placeholder = `{resources.${value.resource}.${value.field}}`
      if (rawPath.includes(`{${key}}`)) {
        rawPath = rawPath.split(`{${key}}`).join(placeholder)
        delete rawParams[key]
      } else {
        rawParams[key] = placeholder
      }
    } else if (value.type === "incremental" && typeof value.cursor_path === "string") {
      legacyIncremental = {
        cursor_path: value.cursor_path,
        ...(value.initial_value !== undefined ? { initial_value: value.initial_value } : {}),
        ...(isFunction(value.convert) ? { convert: value.convert } : {})
      }
      rawParams[key] = "{incremental.start_value}"
    }
  }

  const pathTemplate = parseTemplate(rawPath, `${ep}.path`, issues)
  const params = templated(resolveValues(rawParams, `${ep}.params`, issues), `${ep}.params`, issues)
  const headers: Record<string, Value<SecretInput>> = {}
  for (const [key, value] of Object.entries(endpoint.headers ?? {})) {
    headers[key] = typeof value === "string"
      ? { _tag: "Plain", value }
      : { _tag: "Secret", secret: secret(joinPath(`${ep}.headers`, key), value) }
  }
  const headerValues = templated(headers, `${ep}.headers`, issues)
  let json: Template.JsonTemplate | undefined
  if (endpoint.json !== undefined) json = orIssue(Template.parseJson(endpoint.json), `${ep}.json`, issues)
  const form = endpoint.data === undefined ? undefined : formOf(endpoint.data, `${ep}.data`, issues)
  if (endpoint.data !== undefined && endpoint.json !== undefined) {
    issues.push(issue(`${ep}.data`, "'data' and 'json' exclude each other (a request has one body)"))
  }

  // dlt's single-entity rule: a path ending in a placeholder (`users/{id}`) is one object,
  // unless the endpoint or resource_defaults say otherwise; it overrides the client paginator.
  const lastSegment = rawPath.replace(/\{\{|\}\}/g, "").split("/").filter((x) => x !== "").pop() ?? ""
  const singleEntity = /\{[^{}]+\}/.test(lastSegment)

  let dataSelector: DataSelector.DataSelector | undefined
  if (endpoint.data_selector !== undefined) {
    dataSelector = orIssue(DataSelector.parse(endpoint.data_selector), `${ep}.data_selector`, issues)
  } else if (singleEntity) {
    dataSelector = DataSelector.root
  }

  // Paginator precedence: endpoint (incl. resource_defaults.endpoint) > single entity > client.
  const paginatorPath = endpoint.paginator !== undefined ? `${ep}.paginator` : "client.paginator"
  const paginatorConfig = endpoint.paginator !== undefined
    ? endpoint.paginator
    : singleEntity
    ? "single_page"
    : config.client.paginator
  const makePaginator = resolvePaginator(paginatorConfig ?? undefined, paginatorPath, issues)

  // Parent/child: every {resources.<parent>.<field>} must name the same parent.
  const used = [
    ...(pathTemplate === undefined ? [] : Template.placeholders(pathTemplate)),
    ...placeholdersOf(params),
    ...placeholdersOf(headerValues),
    ...(json === undefined ? [] : Template.jsonPlaceholders(json)),
    ...formTemplates(form).flatMap(Template.placeholders)
  ]
  const parents = [...new Set(used.flatMap((p) => (p._tag === "Parent" ? [p.resource] : [])))]
  if (parents.length > 1) {
    issues.push(issue(ep, `a resource can have one parent, but its placeholders name ${parents.map((p) => `'${p}'`).join(" and ")}`))
  }
  const parent = parents[0]
  const includeFromParent = resource.include_from_parent ?? []
  if (includeFromParent.length > 0 && parent === undefined) {
    issues.push(issue(`${path}.include_from_parent`, "include_from_parent needs a parent resource ({resources.<parent>.<field>} in the endpoint)"))
  }

  const incrementalConfig = endpoint.incremental ?? legacyIncremental
  const incremental = incrementalConfig === undefined
    ? undefined
    : resolveIncremental(incrementalConfig, `${ep}.incremental`, keyList(resource.primary_key), issues)
  if (incremental !== undefined && endpoint.incremental !== undefined) {
    // dlt's older form: start_param/end_param name the query params that carry the values.
    const inc = endpoint.incremental
    if (inc.start_param !== undefined) params[inc.start_param] = templateValue("{incremental.start_value}")
    if (inc.end_param !== undefined) params[inc.end_param] = templateValue("{incremental.end_value}")
  }
  if (incremental === undefined && used.some((p) => p._tag === "Incremental")) {
    issues.push(issue(ep, "{incremental.*} placeholders need an 'incremental' on the endpoint"))
  }
  if (incremental?.window !== undefined && parent !== undefined) {
    issues.push(issue(`${ep}.incremental.window`, "windows work on top-level resources, not on a child of another resource"))
  }

  const { disposition: writeDisposition, strategy: mergeStrategy, scd2 } = dispositionOf(
    resource.write_disposition,
    `${path}.write_disposition`,
    issues
  )
  const columnHints = resolveColumns(resource.columns, `${path}.columns`, issues)
  // dlt: a column hint `primary_key: true` / `merge_key: true` adds to the keys.
  const primaryKey = [...new Set([...keyList(resource.primary_key), ...columnHints.filter((c) => c.primaryKey === true).map((c) => c.name)])]
  const mergeKey = [...new Set([...keyList(resource.merge_key), ...columnHints.filter((c) => c.mergeKey === true).map((c) => c.name)])]
  if (writeDisposition === "merge" && mergeStrategy !== "scd2" && primaryKey.length === 0 && mergeKey.length === 0) {
    issues.push(issue(`${path}.primary_key`, `write_disposition 'merge' (${mergeStrategy}) needs a primary_key (a column name or a list of them)`))
  }
  if (mergeStrategy === "upsert" && mergeKey.length > 0) {
    issues.push(issue(`${path}.merge_key`, "the upsert strategy takes no merge_key (dlt's rule); use delete-insert"))
  }
  const auth = endpoint.auth === undefined
    ? undefined
    : endpoint.auth === null
    ? null
    : resolveAuth(endpoint.auth, `${ep}.auth`, issues)

  if (issues.length > before || makePaginator === undefined || pathTemplate === undefined) return undefined
  return {
    name: resource.name,
    configPath: path,
    tableName: typeof resource.table_name === "string" ? resource.table_name : resource.name,
    tableNameOf: typeof resource.table_name === "function" ? call1(resource.table_name) : undefined,
    method,
    path: pathTemplate,
    params,
    headers: headerValues,
    json,
    form,
    dataSelector,
    makePaginator,
    primaryKey,
    writeDisposition,
    mergeStrategy,
    scd2,
    mergeKey,
    columnHints,
    contract: contractOf(resource.schema_contract),
    maxTableNesting: resource.max_table_nesting,
    selected: resource.selected ?? true,
    schema: resource.schema,
    parent,
    includeFromParent,
    concurrency: resource.concurrency ?? 5,
    incremental,
    responseActions: resolveResponseActions(endpoint.response_actions, `${ep}.response_actions`, issues),
    processingSteps: resolveProcessingSteps(resource.processing_steps),
    auth
  }
}

const templateValue = (source: string): Value<SecretInput> => ({
  _tag: "Template",
  template: Either.getOrThrow(Template.parse(source))
})

type ResourceIncremental = NonNullable<EndpointConfig["incremental"]>

const resolveIncremental = (
  inc: ResourceIncremental,
  path: string,
  primaryKey: ReadonlyArray<string>,
  issues: Array<ConfigIssue>
): IncrementalSpec | undefined => {
  const cursorPath = parsePath(inc.cursor_path, `${path}.cursor_path`, issues)
  if (inc.end_value !== undefined && inc.initial_value === undefined) {
    issues.push(issue(`${path}.end_value`, "end_value needs an initial_value"))
  }
  let lastValueFunc: IncrementalSpec["lastValueFunc"] = "max"
  if (typeof inc.last_value_func === "string") {
    if (inc.last_value_func === "max" || inc.last_value_func === "min") lastValueFunc = inc.last_value_func
    else issues.push(issue(`${path}.last_value_func`, `expected "max", "min" or a function, found ${JSON.stringify(inc.last_value_func)}`))
  } else if (inc.last_value_func !== undefined) {
    const f = inc.last_value_func
    lastValueFunc = (values) => Reflect.apply(f, undefined, [values])
  }
  const convert = inc.convert
  const incrementalKey = Array.isArray(inc.primary_key)
    ? inc.primary_key.filter((k): k is string => typeof k === "string")
    : typeof inc.primary_key === "string"
    ? [inc.primary_key]
    : primaryKey
  if (cursorPath === undefined) return undefined
  return {
    cursorPath,
    initialValue: inc.initial_value,
    endValue: inc.end_value,
    lastValueFunc,
    rowOrder: inc.row_order,
    lag: inc.lag,
    onCursorValueMissing: inc.on_cursor_value_missing ?? "raise",
    rangeStart: inc.range_start ?? "closed",
    rangeEnd: inc.range_end ?? "open",
    primaryKey: incrementalKey,
    convert: convert === undefined ? undefined : call1(convert),
    window: resolveWindow(inc.window, `${path}.window`, issues)
  }
}

const resolveWindow = (
  window: number | string | undefined,
  path: string,
  issues: Array<ConfigIssue>
): IncrementalWindow | undefined => {
  if (window === undefined) return undefined
  if (typeof window === "number") {
    if (window > 0 && Number.isFinite(window)) return { _tag: "Number", size: window }
    issues.push(issue(path, `a window must be positive, found ${window}`))
    return undefined
  }
  const duration = Option.getOrUndefined(Duration.decodeUnknown(window))
  const millis = duration === undefined ? Number.NaN : Duration.toMillis(duration)
  if (millis > 0 && Number.isFinite(millis)) return { _tag: "Duration", millis }
  issues.push(issue(path, `expected a duration such as "7 days" or "12 hours", or a number for numeric cursors; found ${JSON.stringify(window)}`))
  return undefined
}

const resolveResponseActions = (
  actions: EndpointConfig["response_actions"],
  path: string,
  issues: Array<ConfigIssue>
): ReadonlyArray<ResponseAction> =>
  (actions ?? []).flatMap((action, i): ReadonlyArray<ResponseAction> => {
    if (isFunction(action)) {
      return [{ _tag: "Function", f: (response) => asActionKind(call1(action)(response)) }]
    }
    if (action.status_code === undefined && action.content === undefined) {
      issues.push(issue(`${path}[${i}]`, "a response action needs a status_code, a content, or both"))
      return []
    }
    if (typeof action.action !== "string") {
      issues.push(issue(`${path}[${i}].action`, "functions that rewrite the response are not supported; use \"ignore\", \"retry\" or \"fail\", or a function of the response returning one of them"))
      return []
    }
    return [{ _tag: "Match", statusCode: action.status_code, content: action.content, action: action.action }]
  })

const asActionKind = (u: unknown): ResponseActionKind | undefined =>
  u === "ignore" || u === "retry" || u === "fail" ? u : undefined

const resolveProcessingSteps = (steps: ResourceObject["processing_steps"]): ReadonlyArray<ProcessingStep> =>
  (steps ?? []).map((step): ProcessingStep =>
    "filter" in step
      ? { _tag: "filter", f: call1(step.filter) }
      : "map" in step
      ? { _tag: "map", f: call1(step.map) }
      : { _tag: "yield_map", f: call1(step.yield_map) }
  )

// ---------------------------------------------------------------- paginators

const parsePath = (source: string, path: string, issues: Array<ConfigIssue>): DataSelector.DataSelector | undefined =>
  orIssue(DataSelector.parse(source), path, issues)

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
  const expression = orIssue(Expression.parse(value, Expression.PaginationNames), path, issues)
  return expression === undefined ? undefined : { _tag: "Expression", expression }
}

type PaginatorObject = Exclude<PaginatorConfig, string | CustomPaginatorConfig>

/** The string form (`paginator: "cursor"`) is the object form with dlt's defaults. */
const paginatorObject = (
  config: Exclude<PaginatorConfig, CustomPaginatorConfig>,
  path: string,
  issues: Array<ConfigIssue>
): PaginatorObject | undefined => {
  if (typeof config !== "string") return config
  if (config === "offset") {
    issues.push(issue(path, "the offset paginator needs 'limit': write it as { type: \"offset\", limit: N }"))
    return undefined
  }
  return { type: config }
}

/** A paginator factory: stateless paginators are shared, stateful ones are made per stream. */
const resolvePaginator = (
  config: PaginatorConfig | undefined,
  path: string,
  issues: Array<ConfigIssue>
): (() => Paginator) | undefined => {
  if (config === undefined) return () => Auto.make()
  if (typeof config === "function") {
    const factory = config
    // A factory that throws fails its stream, not the config.
    return () => Custom.makeFromFactory(() => Custom.fromUnknown(Reflect.apply(factory, undefined, [])))
  }
  if (typeof config === "object" && config.type === undefined) {
    const custom = config
    return () => Custom.make(Custom.fromUnknown(custom))
  }
  const paginator = resolveBuiltIn(config, path, issues)
  return paginator === undefined ? undefined : paginator
}

const resolveBuiltIn = (
  config: Exclude<PaginatorConfig, CustomPaginatorConfig>,
  path: string,
  issues: Array<ConfigIssue>
): (() => Paginator) | undefined => {
  const spec = paginatorObject(config, path, issues)
  if (spec === undefined) return undefined
  const before = issues.length
  const stopCondition = parseCondition(spec.stop_condition, `${path}.stop_condition`, issues)
  const optPath = (source: string | null | undefined, key: string) =>
    source === undefined || source === null ? undefined : parsePath(source, `${path}.${key}`, issues)
  const done = (paginator: Paginator) => (issues.length > before ? undefined : () => paginator)
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
        stopCondition,
        concurrency: rangeConcurrency(spec, totalPath, maximum, path, issues)
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
        stopCondition,
        concurrency: rangeConcurrency(spec, totalPath, maximum, path, issues)
      }))
    }
    case "header_link":
      return done(HeaderLink.make({ linksNextKey: spec.links_next_key ?? "next", stopCondition }))
    case "header_cursor":
      return done(HeaderCursor.make({
        cursorKey: spec.cursor_key ?? "next",
        cursorPlacement: query(spec.cursor_param ?? "cursor"),
        stopCondition
      }))
    case "auto":
      return issues.length > before ? undefined : () => Auto.make()
  }
}

/** `concurrency` needs the pages to be known from the first one: not with has_more_path or stop_condition. */
const rangeConcurrency = (
  spec: {
    readonly concurrency?: number | undefined
    readonly has_more_path?: string | null | undefined
    readonly stop_condition?: unknown
  },
  totalPath: string | null,
  maximum: number | undefined,
  path: string,
  issues: Array<ConfigIssue>
): number | undefined => {
  if (spec.concurrency === undefined || spec.concurrency === 1) return spec.concurrency
  const needs = "concurrent pages need the total (total_path) or a maximum"
  if (totalPath === null && maximum === undefined) {
    issues.push(issue(`${path}.concurrency`, `${needs}: this paginator has neither`))
  } else if (spec.has_more_path !== undefined && spec.has_more_path !== null) {
    issues.push(issue(`${path}.concurrency`, `${needs}: has_more_path is only known page by page`))
  } else if (spec.stop_condition !== undefined) {
    issues.push(issue(`${path}.concurrency`, `${needs}: a stop_condition is only known page by page`))
  }
  return spec.concurrency
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
