/**
 * RestApiSource: a config made ready to run (decoded, defaults merged, secrets resolved)
 * and each of its resources as a typed Effect Stream. Nothing is loaded here: this is the
 * part of the library for Effect programs that want the records themselves.
 */
import type { HttpClient } from "@effect/platform"
import { Effect, Layer, Stream } from "effect"
import type { Schema } from "effect"
import { ConfigError, issue } from "./config/ConfigError.js"
import { ConnectorConfig, resolve } from "./config/ConnectorConfig.js"
import type { ResolvedResource, ResolvedSource } from "./config/Resolve.js"
import type { RestApiConfigInput } from "./config/RestApiConfig.js"
import { type Secret, secretValues } from "./config/Secrets.js"
import * as Resource from "./extract/Resource.js"
import * as ApiClient from "./http/ApiClient.js"
import * as Redact from "./http/Redact.js"

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
  readonly config: ResolvedSource<Secret>
  /** Hides secrets in anything printed about this source. */
  readonly redactor: Redact.Redactor
  /** The resource's records, decoded, fetched page by page as the stream is pulled. */
  readonly records: <N extends ResourceName<C>>(name: N) => Stream.Stream<RecordOf<C, N>, SourceError, HttpClient.HttpClient>
  /** The resource's pages (records plus paging facts), for loaders and progress reporting. */
  readonly pages: (resource: ResolvedResource<Secret>) => Stream.Stream<
    Resource.ResourcePage<unknown>,
    SourceError,
    HttpClient.HttpClient
  >
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
  resolved: ResolvedSource<Secret>,
  file?: string
): RestApiSource<C> => {
  const redactor = Redact.make(secretValues(resolved))
  const api = ApiClient.ApiClient.layer.pipe(Layer.provide(Layer.succeed(ConnectorConfig, resolved)))
  const pages = (resource: ResolvedResource<Secret>) =>
    Stream.unwrap(Effect.map(ApiClient.ApiClient, (client) => Resource.pages(resource, client, redactor))).pipe(
      Stream.provideSomeLayer(api)
    )
  const records = <N extends ResourceName<C>>(name: N): Stream.Stream<RecordOf<C, N>, SourceError, HttpClient.HttpClient> => {
    const resource = resolved.resources.find((r) => r.name === name)
    if (resource === undefined) {
      return Stream.die(new ConfigError({ file, issues: [issue("resources", `no resource named '${name}'`)] }))
    }
    return pages(resource).pipe(Stream.mapConcat((page) => page.records.filter(isRecordOf<C, N>)))
  }
  return { config: resolved, redactor, records, pages }
}

/**
 * Records were decoded by the resource's Schema (or are JSON objects when it has none): the
 * runtime lookup by name cannot carry the static type the config promised, so this guard
 * re-attaches it after checking the one thing both kinds share, being an object.
 */
const isRecordOf = <C extends RestApiConfigInput, N extends string>(record: unknown): record is RecordOf<C, N> =>
  typeof record === "object" && record !== null
