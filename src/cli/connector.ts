/**
 * The pieces the CLI (and tests that drive it) put together: a source from a config file,
 * and the storage layer for a database URL or the embedded database.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Duration, Effect, Layer } from "effect"
import type { ConfigError } from "../internal/config/configError.js"
import * as ConnectorConfig from "../internal/config/connectorConfig.js"
import { datasetFromFile } from "../internal/config/loadConfig.js"
import { datasetName } from "../internal/load/identifiers.js"
import type { Destination } from "../internal/load/destination.js"
import * as Embedded from "../internal/load/embedded.js"
import * as PgPool from "../internal/load/pgPool.js"
import * as PostgresDestination from "../internal/load/postgresDestination.js"
import * as Naming from "../internal/normalize/naming.js"
import * as Source from "../internal/extract/source.js"
import * as ApiClient from "../internal/http/apiClient.js"
import * as UndiciHttpClient from "../internal/http/undiciHttpClient.js"
import { shareOwnPackages } from "./packageResolution.js"
import { remember } from "./redaction.js"

export interface SourceFileOptions {
  /** Replaces `client.base_url` (a staging server, a local mock, the demo API). */
  readonly baseUrl?: string | undefined
  /** Values for `{params.NAME}` in the config (`--params`). */
  readonly params?: Readonly<Record<string, string>> | undefined
}

/** Reads, decodes and resolves a config file (secrets included) into a source. */
export const sourceFromFile = (
  file: string,
  options: SourceFileOptions = {}
): Effect.Effect<Source.RestApiSource, ConfigError> =>
  Effect.suspend(() => {
    // A config module's imports of the package and of Effect resolve to the CLI's own copies.
    if (/\.[cm]?[jt]s$/i.test(file)) shareOwnPackages()
    return Effect.map(ConnectorConfig.resolveFile(file, options), (resolved) => {
      const source = Source.fromResolved(resolved, file)
      remember(source.redactor)
      return source
    })
  })

/** `--dataset` default: the config file's base name in snake_case (shortened if too long for Postgres). */
export const defaultDataset = (file: string): string => datasetName(Naming.normalizeIdentifier(datasetFromFile(file)))

export interface StorageOptions {
  /** A Postgres server; without it the embedded database in `dataDir` is used. */
  readonly databaseUrl?: string | undefined
  /** Folder of the embedded database (default `./.rest-connector`). */
  readonly dataDir?: string | undefined
  /** Seconds to wait while another process uses `dataDir` (default 300). */
  readonly waitTimeout?: number | undefined
}

/**
 * The Destination over a Postgres server or the embedded database, and the `SqlClient` under it
 * (the run keeps its report in the dataset through it).
 */
export const storageLayer = (options: StorageOptions): Layer.Layer<Destination | SqlClient.SqlClient, SqlError> =>
  PostgresDestination.layer.pipe(Layer.provideMerge(
    options.databaseUrl === undefined
      ? Embedded.layer({
        dataDir: options.dataDir ?? ".rest-connector",
        waitTimeout: Duration.seconds(options.waitTimeout ?? 300)
      })
      : // A server: one pool for queries and COPY, which stages the rows.
        PgPool.layerPool({ url: options.databaseUrl })
  ))

/** The requests of a run: one ApiClient over our undici transport, built once per command. */
export const apiLayer: Layer.Layer<ApiClient.ApiClient> = ApiClient.layer.pipe(Layer.provide(UndiciHttpClient.layer))
