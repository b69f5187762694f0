/**
 * What config resolution produces: plain data (specs) that the HTTP client, the paginators,
 * the resource streams and the loader are built from where they are used. `S` is how a
 * secret is held: `SecretInput` (where it comes from) before secrets are read, `Redacted`
 * after.
 */
import type { Duration, Schema } from "effect"
import type { DataType } from "../normalize/tableSchema.js"
import type * as DataSelector from "../syntax/dataSelector.js"
import type * as Template from "../syntax/template.js"
import type { Auth } from "./authSpec.js"
import type { PaginatorSpec } from "./paginatorSpec.js"
import type { SecretString } from "./schema.js"

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

/** `client.retry` (DESIGN.md §2), with our defaults filled in. */
export interface RetryPolicy {
  readonly statusCodes: ReadonlySet<number>
  /** Retries after the first attempt (attempts = maxRetries + 1). */
  readonly maxRetries: number
  /** Seconds; delay n (1-based) = backoffFactor * 2^(n-1). */
  readonly backoffFactor: number
  /** Seconds; no single wait is longer. */
  readonly maxDelay: number
  readonly respectRetryAfter: boolean
  /** Largest random fraction added to a delay. */
  readonly jitter: number
  /** Seconds; the most one resource may spend waiting between retries in one run. */
  readonly maxTotalWait: number
}

export const defaultRetryPolicy: RetryPolicy = {
  statusCodes: new Set([429, 500, 502, 503, 504]),
  maxRetries: 4,
  backoffFactor: 1,
  maxDelay: 300,
  respectRetryAfter: true,
  jitter: 0.1,
  maxTotalWait: 900
}

/** `client.rate_limit` (our extension). */
export interface RateLimitOptions {
  readonly requestsPerSecond?: number | undefined
  readonly requestsPerMinute?: number | undefined
  /** Honour RateLimit-Remaining / RateLimit-Reset (and X-RateLimit-*) response headers (default true). */
  readonly respectHeaders?: boolean | undefined
  /** On a cluster, whose budget the limits are: the API host's, shared by every tenant (default), or each tenant's. */
  readonly per?: "host" | "tenant" | undefined
}

export interface ClientSpec<S> {
  readonly baseUrl: string
  readonly headers: Readonly<Record<string, Value<S>>>
  readonly auth: Auth<S> | undefined
  readonly retry: RetryPolicy
  readonly timeout: Duration.Duration
  readonly rateLimit: RateLimitOptions | undefined
  /** Largest response body in bytes (`client.max_response_bytes`, ours). */
  readonly maxResponseBytes: number
  /** Redirects followed per request (`client.max_redirects`, ours). */
  readonly maxRedirects: number
  /** Requests in flight to the API at once, at most; the adaptive limit stays at or below it (`client.max_concurrency`, ours). */
  readonly maxConcurrency: number
  /** Origins that get the credentials besides `baseUrl`'s (`client.trusted_origins`, ours). */
  readonly trustedOrigins: ReadonlyArray<string>
}

/** Requests in flight to one API at most, when the config does not say (`client.max_concurrency`). */
export const defaultMaxConcurrency = 16

/** Largest response body by default: 64 MiB, far above any page, well below the heap. */
export const defaultMaxResponseBytes = 64 * 1024 * 1024

/** Redirects followed per request by default: requests' `DEFAULT_REDIRECT_LIMIT`. */
export const defaultMaxRedirects = 30

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

/** dlt's `data`: form fields (form-encoded) or a raw text body, with placeholders. */
export type FormTemplate =
  | { readonly _tag: "Fields"; readonly fields: ReadonlyArray<readonly [string, Template.Template]> }
  | { readonly _tag: "Raw"; readonly template: Template.Template }

/** A window of date-times (a duration) or of numbers. */
export type IncrementalWindow =
  | { readonly _tag: "Duration"; readonly millis: number }
  | { readonly _tag: "Number"; readonly size: number }

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

export interface ResourceSpec<S> {
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
  readonly paginator: PaginatorSpec
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
  readonly auth: Auth<S> | null | undefined
}

export interface SourceSpec<S> {
  readonly client: ClientSpec<S>
  readonly resources: ReadonlyArray<ResourceSpec<S>>
}

/** The templates of a form body. */
export const formTemplates = (form: FormTemplate | undefined): ReadonlyArray<Template.Template> =>
  form === undefined ? [] : form._tag === "Raw" ? [form.template] : form.fields.map(([, t]) => t)
