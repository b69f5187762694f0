/**
 * The config contract: dlt's `rest_api` dictionary, keys spelled as dlt spells them,
 * as an Effect Schema. Decoding checks shapes and rejects unknown keys; the semantic
 * checks (merging defaults, "not supported yet", expressions) happen in `Resolve`.
 *
 * Every key of DESIGN.md §2 is recognised here, including those whose behaviour
 * comes later: recognising them lets us fail clearly instead of ignoring them.
 */
import { Config, Predicate, Redacted, Schema } from "effect"

const opt = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })

/**
 * Values only a TypeScript config can hold (functions, Redacted, Config, Schemas): the JSON
 * Schema of the config, for JSON and YAML files, matches nothing for them.
 */
const typescriptOnly = { jsonSchema: { oneOf: [{ not: {} }] } }

/**
 * The longest wait a timer can hold: Node's timers take at most 2^31 - 1 ms (24.8 days) and
 * fire at once beyond it, so a larger `timeout` would fail every request instantly.
 */
export const maxTimerSeconds = Math.floor((2 ** 31 - 1) / 1000)

/** Seconds: positive (or non-negative) and at most what a timer can hold. */
const seconds = (floor: "positive" | "nonNegative") =>
  Schema.Number.pipe(
    floor === "positive" ? Schema.positive() : Schema.nonNegative(),
    Schema.lessThanOrEqualTo(maxTimerSeconds, {
      message: () => `at most ${maxTimerSeconds} seconds (24.8 days, the longest a timer can wait)`
    })
  )

/** `{ "secret": "ENV_NAME" }`: read through `Config.redacted` from the active ConfigProvider. */
export const SecretRef = Schema.Struct({ secret: Schema.String.pipe(Schema.minLength(1)) })
export type SecretRef = typeof SecretRef.Type

const RedactedValue = Schema.declare((u: unknown): u is Redacted.Redacted<string> => Redacted.isRedacted(u), {
  identifier: "Redacted",
  ...typescriptOnly
})
const ConfigValue = Schema.declare((u: unknown): u is Config.Config<Redacted.Redacted<string> | string> => Config.isConfig(u), {
  identifier: "Config",
  ...typescriptOnly
})

/** A string that may be a secret: a plain string, `{ secret }`, or (TypeScript) a `Redacted`/`Config`. */
export const SecretString = Schema.Union(Schema.String, SecretRef, RedactedValue, ConfigValue)
export type SecretString = typeof SecretString.Type

const AnyFunction = Schema.declare((u: unknown): u is (...args: ReadonlyArray<never>) => unknown => Predicate.isFunction(u), {
  identifier: "function",
  ...typescriptOnly
})

/** A stop condition / cursor expression: a string, or (TypeScript) a function of the page. */
const ExpressionOrFunction = Schema.Union(Schema.String, AnyFunction)

// ---------------------------------------------------------------- auth

const BearerAuth = Schema.Struct({ type: opt(Schema.Literal("bearer")), token: SecretString })
const ApiKeyAuth = Schema.Struct({
  type: Schema.Literal("api_key"),
  api_key: SecretString,
  name: opt(Schema.String),
  location: opt(Schema.Literal("header", "query", "param", "cookie"))
})
const HttpBasicAuth = Schema.Struct({ type: Schema.Literal("http_basic"), username: SecretString, password: SecretString })
const OAuth2ClientCredentials = Schema.Struct({
  type: Schema.Literal("oauth2_client_credentials"),
  access_token_url: Schema.String,
  client_id: SecretString,
  client_secret: SecretString,
  access_token_request_data: opt(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  default_token_expiration: opt(seconds("nonNegative")),
  access_token: opt(SecretString)
})
/** A TypeScript config's own auth: an object with an `authenticate(request)` function. */
const CustomAuth = Schema.declare(
  (u: unknown): u is { readonly authenticate: (...args: ReadonlyArray<never>) => unknown } =>
    Predicate.hasProperty(u, "authenticate") && Predicate.isFunction(u.authenticate),
  { identifier: "CustomAuth", ...typescriptOnly }
)
export const AuthTypes = ["bearer", "api_key", "http_basic", "oauth2_client_credentials"] as const
export const AuthConfig = Schema.Union(
  Schema.Literal(...AuthTypes),
  ApiKeyAuth,
  HttpBasicAuth,
  OAuth2ClientCredentials,
  BearerAuth,
  CustomAuth
)
export type AuthConfig = typeof AuthConfig.Type

// ---------------------------------------------------------------- paginators

const common = { stop_condition: opt(ExpressionOrFunction) }
const nullablePath = opt(Schema.NullOr(Schema.String))

const CursorPaginator = Schema.Struct({
  type: Schema.Literal("cursor"),
  cursor_path: opt(Schema.String),
  cursor_param: opt(Schema.String),
  cursor_body_path: opt(Schema.String),
  cursor_value: opt(ExpressionOrFunction),
  limit: opt(Schema.Int.pipe(Schema.positive())),
  limit_param: opt(Schema.String),
  stop_after_empty_page: opt(Schema.Boolean),
  has_more_path: nullablePath,
  ...common
})
const JsonLinkPaginator = Schema.Struct({
  type: Schema.Literal("json_link", "json_response"),
  next_url_path: opt(Schema.String),
  ...common
})
const HeaderLinkPaginator = Schema.Struct({
  type: Schema.Literal("header_link"),
  links_next_key: opt(Schema.String),
  /** Ours: pages fetched at a time when the first page's Link has rel="last" with a page number. */
  concurrency: opt(Schema.Int.pipe(Schema.positive())),
  ...common
})
const HeaderCursorPaginator = Schema.Struct({
  type: Schema.Literal("header_cursor"),
  cursor_key: opt(Schema.String),
  cursor_param: opt(Schema.String),
  ...common
})
const OffsetPaginator = Schema.Struct({
  type: Schema.Literal("offset"),
  limit: Schema.Int.pipe(Schema.positive()),
  offset: opt(Schema.Int.pipe(Schema.nonNegative())),
  offset_param: opt(Schema.String),
  offset_body_path: opt(Schema.String),
  limit_param: opt(Schema.String),
  limit_body_path: opt(Schema.String),
  total_path: nullablePath,
  maximum_offset: opt(Schema.NullOr(Schema.Int.pipe(Schema.nonNegative()))),
  stop_after_empty_page: opt(Schema.Boolean),
  has_more_path: nullablePath,
  /** Ours: pages fetched at a time once the first page gives the total (or a maximum is set). */
  concurrency: opt(Schema.Int.pipe(Schema.positive())),
  ...common
})
const PageNumberPaginator = Schema.Struct({
  type: Schema.Literal("page_number"),
  base_page: opt(Schema.Int),
  page: opt(Schema.NullOr(Schema.Int)),
  page_param: opt(Schema.String),
  page_body_path: opt(Schema.String),
  total_path: nullablePath,
  maximum_page: opt(Schema.NullOr(Schema.Int.pipe(Schema.nonNegative()))),
  stop_after_empty_page: opt(Schema.Boolean),
  has_more_path: nullablePath,
  /** Ours: pages fetched at a time once the first page gives the total (or a maximum is set). */
  concurrency: opt(Schema.Int.pipe(Schema.positive())),
  ...common
})
const SinglePagePaginator = Schema.Struct({ type: Schema.Literal("single_page"), ...common })
const AutoPaginator = Schema.Struct({ type: Schema.Literal("auto"), ...common })

export const PaginatorTypes = [
  "cursor",
  "json_link",
  "json_response",
  "header_link",
  "header_cursor",
  "offset",
  "page_number",
  "single_page",
  "auto"
] as const
export type PaginatorType = (typeof PaginatorTypes)[number]

/** A TypeScript config's own paginator: an object with `next(page)`, or a function making one per stream. */
export type CustomPaginatorConfig =
  | { readonly next: (...args: ReadonlyArray<never>) => unknown; readonly type?: undefined }
  | ((...args: ReadonlyArray<never>) => unknown)
const CustomPaginator = Schema.declare(
  (u: unknown): u is CustomPaginatorConfig =>
    (Predicate.hasProperty(u, "next") && Predicate.isFunction(u.next) && !Predicate.hasProperty(u, "type")) ||
    Predicate.isFunction(u),
  { identifier: "CustomPaginator", ...typescriptOnly }
)

export const PaginatorConfig = Schema.Union(
  Schema.Literal(...PaginatorTypes),
  CustomPaginator,
  CursorPaginator,
  JsonLinkPaginator,
  HeaderLinkPaginator,
  HeaderCursorPaginator,
  OffsetPaginator,
  PageNumberPaginator,
  SinglePagePaginator,
  AutoPaginator
)
export type PaginatorConfig = typeof PaginatorConfig.Type
export type CursorPaginatorConfig = typeof CursorPaginator.Type
export type JsonLinkPaginatorConfig = typeof JsonLinkPaginator.Type
export type OffsetPaginatorConfig = typeof OffsetPaginator.Type
export type PageNumberPaginatorConfig = typeof PageNumberPaginator.Type

// ---------------------------------------------------------------- retry (our extension)

export const RetryConfig = Schema.Struct({
  status_codes: opt(Schema.Array(Schema.Int.pipe(Schema.between(100, 599)))),
  max_retries: opt(Schema.Int.pipe(Schema.nonNegative())),
  backoff_factor: opt(Schema.Number.pipe(Schema.nonNegative())),
  max_delay: opt(seconds("nonNegative")),
  respect_retry_after: opt(Schema.Boolean),
  /** Largest random fraction added to a computed delay (default 0.1 = up to +10%); 0 turns jitter off. */
  jitter: opt(Schema.Number.pipe(Schema.between(0, 1))),
  /** Seconds one resource may spend waiting between retries in one run (default 900). */
  max_total_wait: opt(seconds("nonNegative"))
})
export type RetryConfig = typeof RetryConfig.Type

// ---------------------------------------------------------------- endpoint and resource

/** Query params: scalars, secrets, or (later issues) placeholder/resolve objects; checked in Resolve. */
const Params = Schema.Record({ key: Schema.String, value: Schema.Unknown })
const Headers = Schema.Record({ key: Schema.String, value: SecretString })

const ResponseAction = Schema.Union(
  Schema.Struct({
    status_code: opt(Schema.Int),
    content: opt(Schema.String),
    action: Schema.Union(Schema.Literal("ignore", "retry", "fail"), AnyFunction, Schema.Array(AnyFunction))
  }),
  AnyFunction
)

const Incremental = Schema.Struct({
  cursor_path: Schema.String,
  initial_value: opt(Schema.Unknown),
  end_value: opt(Schema.Unknown),
  start_param: opt(Schema.String),
  end_param: opt(Schema.String),
  last_value_func: opt(Schema.Union(Schema.String, AnyFunction)),
  row_order: opt(Schema.Literal("asc", "desc")),
  lag: opt(Schema.Number),
  on_cursor_value_missing: opt(Schema.Literal("raise", "include", "exclude")),
  range_start: opt(Schema.Literal("open", "closed")),
  range_end: opt(Schema.Literal("open", "closed")),
  convert: opt(AnyFunction),
  primary_key: opt(Schema.Unknown),
  /** Ours (dlt#3223): request the range in windows of this size ("7 days"; a number for numeric cursors). */
  window: opt(Schema.Union(Schema.Number, Schema.String))
})

export const EndpointConfig = Schema.Struct({
  path: opt(Schema.String),
  method: opt(Schema.Literal("GET", "POST", "get", "post")),
  params: opt(Params),
  json: opt(Schema.Unknown),
  data: opt(Schema.Unknown),
  headers: opt(Headers),
  paginator: opt(Schema.NullOr(PaginatorConfig)),
  /** null: no selector (dlt uses it to reset a default), so the records are detected. */
  data_selector: opt(Schema.NullOr(Schema.String)),
  response_actions: opt(Schema.Array(ResponseAction)),
  incremental: opt(Incremental),
  auth: opt(Schema.NullOr(AuthConfig))
})
export type EndpointConfig = typeof EndpointConfig.Type

const Key = Schema.Union(Schema.String, Schema.Array(Schema.String))

export const WriteDispositionConfig = Schema.Union(
  Schema.Literal("append", "replace", "merge"),
  Schema.Struct({
    disposition: Schema.Literal("append", "replace", "merge"),
    strategy: opt(Schema.String),
    validity_column_names: opt(Schema.Array(Schema.String)),
    active_record_timestamp: opt(Schema.Unknown),
    boundary_timestamp: opt(Schema.Unknown),
    row_version_column_name: opt(Schema.String),
    deduplicated: opt(Schema.Boolean)
  })
)

/** dlt's column hints (`columns`), as a dict by column name or a list with `name`. */
const ColumnHintConfig = {
  data_type: opt(Schema.Literal("text", "double", "bool", "timestamp", "bigint", "json", "complex", "decimal", "wei", "date", "time", "binary")),
  nullable: opt(Schema.Boolean),
  primary_key: opt(Schema.Boolean),
  merge_key: opt(Schema.Boolean),
  hard_delete: opt(Schema.Boolean),
  dedup_sort: opt(Schema.Literal("asc", "desc")),
  unique: opt(Schema.Boolean),
  precision: opt(Schema.Int),
  scale: opt(Schema.Int),
  timezone: opt(Schema.Boolean),
  description: opt(Schema.String)
}
export const ColumnsConfig = Schema.Union(
  // dlt accepts a `name` in the dict form too, and sets it to the dict key.
  Schema.Record({ key: Schema.String, value: Schema.Struct({ name: opt(Schema.String), ...ColumnHintConfig }) }),
  Schema.Array(Schema.Struct({ name: Schema.String, ...ColumnHintConfig }))
)
export type ColumnsConfig = typeof ColumnsConfig.Type

const ContractMode = Schema.Literal("evolve", "freeze", "discard_row", "discard_value")
export const SchemaContractConfig = Schema.Union(
  ContractMode,
  Schema.Struct({ tables: opt(ContractMode), columns: opt(ContractMode), data_type: opt(ContractMode) })
)
export type WriteDispositionConfig = typeof WriteDispositionConfig.Type

const AnySchema = Schema.declare((u: unknown): u is Schema.Schema.AnyNoContext => Schema.isSchema(u), {
  identifier: "Schema",
  ...typescriptOnly
})

/** Keys shared by resources and resource_defaults. */
const resourceFields = {
  endpoint: opt(Schema.Union(Schema.String, EndpointConfig)),
  write_disposition: opt(WriteDispositionConfig),
  primary_key: opt(Key),
  merge_key: opt(Key),
  columns: opt(ColumnsConfig),
  table_name: opt(Schema.Union(Schema.String, AnyFunction)),
  selected: opt(Schema.Boolean),
  include_from_parent: opt(Schema.Array(Schema.String)),
  processing_steps: opt(Schema.Array(Schema.Union(
    Schema.Struct({ filter: AnyFunction }),
    Schema.Struct({ map: AnyFunction }),
    Schema.Struct({ yield_map: AnyFunction })
  ))),
  /** Our extension: parent records whose children are fetched at once (default 5). */
  concurrency: opt(Schema.Int.pipe(Schema.positive())),
  max_table_nesting: opt(Schema.Int.pipe(Schema.nonNegative())),
  schema_contract: opt(SchemaContractConfig),
  table_format: opt(Schema.Unknown),
  file_format: opt(Schema.Unknown),
  references: opt(Schema.Unknown),
  nested_hints: opt(Schema.Unknown),
  parallelized: opt(Schema.Boolean),
  /** Our extension (TypeScript configs): an Effect Schema that decodes each record. */
  schema: opt(AnySchema)
}

export const ResourceConfig = Schema.Struct({ name: Schema.String.pipe(Schema.minLength(1)), ...resourceFields })
export type ResourceConfig = typeof ResourceConfig.Type

export const ResourceDefaults = Schema.Struct(resourceFields)
export type ResourceDefaults = typeof ResourceDefaults.Type

export const ClientConfig = Schema.Struct({
  base_url: Schema.String.pipe(Schema.minLength(1)),
  headers: opt(Headers),
  auth: opt(Schema.NullOr(AuthConfig)),
  paginator: opt(Schema.NullOr(PaginatorConfig)),
  session: opt(Schema.Unknown),
  /** Our extension: retry policy (DESIGN.md §2). */
  retry: opt(RetryConfig),
  /** Our extension: a request budget shared by every resource of this client. */
  rate_limit: opt(Schema.Struct({
    requests_per_second: opt(Schema.Number.pipe(Schema.positive())),
    requests_per_minute: opt(Schema.Number.pipe(Schema.positive())),
    respect_headers: opt(Schema.Boolean),
    /** On a cluster: one budget per API host across every runner and tenant, or one per tenant. */
    per: opt(Schema.Literal("host", "tenant"))
  })),
  /** Our extension: request timeout in seconds (dlt's `request_timeout`, default 60). */
  timeout: opt(seconds("positive")),
  /** Our extension: largest response body in bytes (default 64 MiB), as received and decompressed; a larger one fails the page. */
  max_response_bytes: opt(Schema.Int.pipe(Schema.positive())),
  /** Our extension: redirects followed per request (default 30, as requests); 0 follows none. */
  max_redirects: opt(Schema.Int.pipe(Schema.nonNegative())),
  /** Ours: requests in flight to the API at once, at most (default 16); the adaptive limit finds what the API takes below it. */
  max_concurrency: opt(Schema.Int.pipe(Schema.positive())),
  /**
   * Our extension: origins (`https://api2.example.com`) that get the credentials besides
   * `base_url`'s, e.g. a sibling host the API's next links point at.
   */
  trusted_origins: opt(Schema.Array(Schema.String))
})
export type ClientConfig = typeof ClientConfig.Type

export const RestApiConfig = Schema.Struct({
  /** The JSON Schema an editor checks the file against (ignored). */
  $schema: opt(Schema.String),
  client: ClientConfig,
  resource_defaults: opt(ResourceDefaults),
  resources: Schema.Array(Schema.Union(Schema.String.pipe(Schema.minLength(1)), ResourceConfig)).pipe(Schema.minItems(1))
})
export type RestApiConfig = typeof RestApiConfig.Type
export type RestApiConfigInput = typeof RestApiConfig.Encoded
