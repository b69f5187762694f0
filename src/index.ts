/**
 * effect-rest-connector: sync REST APIs described as dlt `rest_api` dictionaries into
 * PostgreSQL, built on Effect.
 *
 * - `defineConfig` / `RestApiSource.make`: a config made ready, each resource a typed Stream.
 * - `Pipeline.run`: extract → normalize → load into a `Destination`.
 * - `Postgres.layer` (Destination over any `SqlClient`), `Embedded.layer` / `Embedded.databaseLayer`.
 */
export { defineConfig } from "./Source.js"
export type { RecordOf, ResourceName, SourceError } from "./Source.js"
export * as RestApiSource from "./Source.js"
export * as Pipeline from "./pipeline/Pipeline.js"
export { Progress } from "./pipeline/Progress.js"
export * as Connector from "./Connector.js"
export { Destination, DestinationError } from "./load/Destination.js"
export * as Postgres from "./load/Postgres.js"
export * as Embedded from "./load/Embedded.js"
export { ConfigError } from "./config/ConfigError.js"
export * as ConnectorConfig from "./config/ConnectorConfig.js"
export { ApiClient } from "./http/ApiClient.js"
export * as Auth from "./http/Auth.js"
export * as UndiciHttpClient from "./http/UndiciHttpClient.js"
export type { RestApiConfigInput as RestApiConfig } from "./config/RestApiConfig.js"
export { ApiError } from "./http/ApiClient.js"
export { ExtractError } from "./extract/Resource.js"
export { NormalizeError } from "./normalize/Normalizer.js"
