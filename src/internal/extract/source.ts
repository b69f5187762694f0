/**
 * RestApiSource: a config made ready to run (decoded, defaults merged, secrets resolved)
 * and each of its resources as a typed Effect Stream. Nothing is loaded here: this is the
 * part of the library for Effect programs that want the records themselves.
 */
import { Effect, Option, Stream } from "effect"
import { ConfigError, issue } from "../config/configError.js"
import { ConnectorConfig, resolve, resolveFile } from "../config/connectorConfig.js"
import type { IncrementalSpec, ResourceSpec, SourceSpec } from "../config/spec.js"
import type { RestApiConfigInput } from "../config/schema.js"
import type { Secret } from "../config/secrets.js"
import * as Incremental from "./incremental.js"
import * as Resource from "./resource.js"
import * as ApiClient from "../http/apiClient.js"
import * as Redact from "../http/redact.js"

export { defineConfig, type RecordOf, type ResourceName } from "../config/configTypes.js"
import type { RecordOf, ResourceName } from "../config/configTypes.js"

export type SourceError = ApiClient.ApiError | Resource.ExtractError

export interface RestApiSource<C extends RestApiConfigInput = RestApiConfigInput> {
  /** The resolved config: what every part of a run is built from. */
  readonly spec: SourceSpec<Secret>
  /** Hides secrets in anything printed about this source. */
  readonly redactor: Redact.Redactor
  /** The resource's records, decoded, fetched page by page as the stream is pulled. */
  readonly records: <N extends ResourceName<C>>(name: N) => Stream.Stream<RecordOf<C, N>, SourceError, ApiClient.ApiClient>
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

/** Reads, decodes and resolves a config file (secrets included) into a source. */
export const fromFile = (
  file: string,
  options: { readonly baseUrl?: string | undefined; readonly params?: Readonly<Record<string, string>> | undefined } = {}
): Effect.Effect<RestApiSource, ConfigError> =>
  Effect.map(resolveFile(file, options), (resolved) => fromResolved(resolved, file))

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
  const redactor = Redact.forSource(resolved)
  // This source's client, from the ApiClient service in context (made once per source there).
  const client = Effect.flatMap(ApiClient.ApiClient, (clients) => clients.forSource(resolved))
  const pages = (resource: ResourceSpec<Secret>, context?: Resource.StreamContext) =>
    Stream.unwrap(Effect.map(client, (c) => Resource.pages(resource, c, redactor, context)))
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
  const records = <N extends ResourceName<C>>(name: N): Stream.Stream<RecordOf<C, N>, SourceError, ApiClient.ApiClient> => {
    const resource = byName.get(name)
    if (resource === undefined) {
      return Stream.die(new ConfigError({ file, issues: [issue("resources", `no resource named '${name}'`)] }))
    }
    return recordsOf(resource).pipe(Stream.filter(isRecordOf<C, N>))
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
  return { spec: resolved, redactor, records, pages, firstPage }
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
