/**
 * RestApiSource: a config made ready to run (decoded, defaults merged, secrets resolved)
 * and each of its resources as a typed Effect Stream. Nothing is loaded here: this is the
 * part of the library for Effect programs that want the records themselves.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { Effect, Layer, Option, Stream } from "effect"
import type { Schema } from "effect"
import { ConfigError, issue } from "../config/configError.js"
import { ConnectorConfig, resolve } from "../config/connectorConfig.js"
import type { IncrementalSpec, ResourceSpec, SourceSpec } from "../config/spec.js"
import type { RestApiConfigInput } from "../config/schema.js"
import { type Secret, secretValues } from "../config/secrets.js"
import * as Incremental from "./incremental.js"
import * as Resource from "./resource.js"
import * as ApiClient from "../http/apiClient.js"
import * as Redact from "../http/redact.js"

/** Checks a config at compile time (key names, value types) and keeps its literal types. */
export const defineConfig = <const C extends RestApiConfigInput>(config: C): C => config

type ResourceEntry<C extends RestApiConfigInput> = C["resources"][number]

/** Names of a config's resources. */
export type ResourceName<C extends RestApiConfigInput> = ResourceEntry<C> extends infer R
  ? R extends string ? R : R extends { readonly name: infer N extends string } ? N : never
  : never

/** The record type of a resource: its Schema's type, or a JSON object. */
export type RecordOf<C extends RestApiConfigInput, N extends string> = Extract<ResourceEntry<C>, { readonly name: N }> extends
  { readonly schema: Schema.Schema<infer A, infer _I, never> } ? A
  : Readonly<Record<string, unknown>>

export type SourceError = ApiClient.ApiError | Resource.ExtractError

export interface RestApiSource<C extends RestApiConfigInput = RestApiConfigInput> {
  readonly config: SourceSpec<Secret>
  /** Hides secrets in anything printed about this source. */
  readonly redactor: Redact.Redactor
  /** The resource's records, decoded, fetched page by page as the stream is pulled. */
  readonly records: <N extends ResourceName<C>>(name: N) => Stream.Stream<RecordOf<C, N>, SourceError, HttpClient.HttpClient>
  /**
   * The resource's pages (records plus paging facts) for one parent record and incremental
   * run, over the ApiClient in context (one per run, so resources share its token and budget).
   */
  readonly pages: (
    resource: ResourceSpec<Secret>,
    context?: Resource.StreamContext
  ) => Stream.Stream<Resource.ResourcePage<unknown>, SourceError, ApiClient.ApiClient>
  /** The first page of a resource (a child's for its parent's first record): what `check` fetches. */
  readonly firstPage: (
    resource: ResourceSpec<Secret>
  ) => Effect.Effect<Option.Option<Resource.ResourcePage<unknown>>, SourceError, ApiClient.ApiClient>
  /** The ApiClient of this source, over whatever HttpClient is provided. */
  readonly apiClient: Layer.Layer<ApiClient.ApiClient, never, HttpClient.HttpClient>
}

/**
 * Makes a source from a config dictionary. Config errors and missing secrets (read from the
 * active ConfigProvider) are all reported here, before any request.
 */
export const make = <const C extends RestApiConfigInput>(
  config: C,
  options?: { readonly file?: string; readonly baseUrl?: string }
): Effect.Effect<RestApiSource<C>, ConfigError> =>
  Effect.map(resolve(config, options), (resolved) => fromResolved<C>(resolved, options?.file))

/** The source of the `ConnectorConfig` in context (see `ConnectorConfig.layer` / `layerFile`). */
export const fromContext: Effect.Effect<RestApiSource, never, ConnectorConfig> = Effect.map(
  ConnectorConfig,
  (resolved) => fromResolved(resolved)
)

/** Builds the source from an already resolved config (when the config came from a file). */
export const fromResolved = <C extends RestApiConfigInput = RestApiConfigInput>(
  resolved: SourceSpec<Secret>,
  file?: string
): RestApiSource<C> => {
  const redactor = Redact.make(secretValues(resolved))
  const apiClient = ApiClient.ApiClient.layer.pipe(Layer.provide(Layer.succeed(ConnectorConfig, resolved)))
  const pages = (resource: ResourceSpec<Secret>, context?: Resource.StreamContext) =>
    Stream.unwrap(Effect.map(ApiClient.ApiClient, (client) => Resource.pages(resource, client, redactor, context)))
  const byName = new Map(resolved.resources.map((r) => [r.name, r]))
  /** A resource's records; a child's are fetched for each of its parent's records. */
  const recordsOf = (resource: ResourceSpec<Secret>): Stream.Stream<unknown, SourceError, ApiClient.ApiClient> => {
    const parent = resource.parent === undefined ? undefined : byName.get(resource.parent)
    const incremental = resource.incremental === undefined ? undefined : startIncremental(resource.incremental)
    // The next page is fetched while the consumer works through this one.
    if (parent === undefined) {
      return pages(resource, { incremental }).pipe(Stream.buffer({ capacity: 2 }), Stream.mapConcat(Resource.takeRecords))
    }
    return recordsOf(parent).pipe(
      Stream.flatMap(
        (record) =>
          pages(resource, {
            parent: { name: parent.name, record },
            incremental: resource.incremental === undefined ? undefined : startIncremental(resource.incremental)
          }).pipe(Stream.mapConcat(Resource.takeRecords)),
        { concurrency: resource.concurrency }
      )
    )
  }
  const records = <N extends ResourceName<C>>(name: N): Stream.Stream<RecordOf<C, N>, SourceError, HttpClient.HttpClient> => {
    const resource = byName.get(name)
    if (resource === undefined) {
      return Stream.die(new ConfigError({ file, issues: [issue("resources", `no resource named '${name}'`)] }))
    }
    return recordsOf(resource).pipe(Stream.filter(isRecordOf<C, N>), Stream.provideSomeLayer(apiClient))
  }
  const firstPage = (
    resource: ResourceSpec<Secret>
  ): Effect.Effect<Option.Option<Resource.ResourcePage<unknown>>, SourceError, ApiClient.ApiClient> => {
    const parent = resource.parent === undefined ? undefined : byName.get(resource.parent)
    const incremental = resource.incremental === undefined ? undefined : startIncremental(resource.incremental)
    const first = (context: Resource.StreamContext) => Stream.runHead(pages(resource, context))
    if (parent === undefined) return first({ incremental })
    return Effect.flatMap(Stream.runHead(recordsOf(parent)), (record) =>
      Option.match(record, {
        onNone: () => Effect.succeed(Option.none()),
        onSome: (r) => first({ parent: { name: parent.name, record: r }, incremental })
      }))
  }
  return { config: resolved, redactor, records, pages, firstPage, apiClient }
}

/**
 * Records were decoded by the resource's Schema (or are JSON objects when it has none): the
 * runtime lookup by name cannot carry the static type the config promised, so this guard
 * re-attaches it after checking the one thing both kinds share, being an object.
 */
/** A fresh incremental run from the initial value (streaming records keeps no state). */
const startIncremental = (spec: IncrementalSpec): Incremental.IncrementalRun => Incremental.start(spec, undefined)

const isRecordOf = <C extends RestApiConfigInput, N extends string>(record: unknown): record is RecordOf<C, N> =>
  typeof record === "object" && record !== null
