/**
 * effect-rest-connector: sync REST APIs described as dlt `rest_api` dictionaries into
 * PostgreSQL, built on Effect.
 *
 * - `defineConfig` / `RestApiSource.make`: a config made ready, each resource a typed Stream.
 * - `Pipeline.run`: extract → normalize → load into a `Destination`.
 * - `Postgres.layer` (Destination over any `SqlClient`), `Embedded.layer` / `Embedded.databaseLayer`.
 */
export { defineConfig } from "./internal/extract/source.js"
export type { RecordOf, ResourceName, SourceError } from "./internal/extract/source.js"
export * as RestApiSource from "./internal/extract/source.js"
export * as Pipeline from "./internal/pipeline/pipeline.js"
export { Progress } from "./internal/pipeline/progress.js"
export * as Connector from "./cli/connector.js"
export { Destination, DestinationError } from "./internal/load/destination.js"
export * as Postgres from "./internal/load/postgresDestination.js"
export * as Embedded from "./internal/load/embedded.js"
export { ConfigError } from "./internal/config/configError.js"
export * as ConnectorConfig from "./internal/config/connectorConfig.js"
export { ApiClient } from "./internal/http/apiClient.js"
export * as Auth from "./internal/http/auth.js"
export * as UndiciHttpClient from "./internal/http/undiciHttpClient.js"
export type { RestApiConfigInput as RestApiConfig } from "./internal/config/schema.js"
export { ApiError } from "./internal/http/apiClient.js"
export { ExtractError } from "./internal/extract/resource.js"
export { NormalizeError } from "./internal/normalize/normalizer.js"
