/**
 * effect-rest-connector: sync REST APIs described as dlt `rest_api` dictionaries into
 * PostgreSQL, built on Effect. Each concept is a module, importable from here or by subpath
 * (`effect-rest-connector/RestApiSource`).
 *
 * @since 0.1.0
 */

/**
 * The config contract (dlt's `rest_api` dictionary) as a Schema, config files, resolution.
 *
 * @since 0.1.0
 */
export * as RestApiConfig from "./RestApiConfig.js"

/**
 * A config made ready to run, each resource a typed Stream of records; `defineConfig`.
 *
 * @since 0.1.0
 */
export * as RestApiSource from "./RestApiSource.js"

/**
 * `Pipeline.run`: extract → normalize → load, one transaction per resource.
 *
 * @since 0.1.0
 */
export * as Pipeline from "./Pipeline.js"

/**
 * Progress of a run, per resource.
 *
 * @since 0.1.0
 */
export * as Progress from "./Progress.js"

/**
 * From an OpenAPI document to a typed connector (`rest-connector init --openapi`).
 *
 * @since 0.1.0
 */
export * as OpenApi from "./OpenApi.js"

/**
 * A run's result as one versioned JSON document (`rest-connector run --json`).
 *
 * @since 0.1.0
 */
export * as RunReport from "./RunReport.js"

/**
 * Where normalized rows go (a service).
 *
 * @since 0.1.0
 */
export * as Destination from "./Destination.js"

/**
 * The Destination over `@effect/sql`'s SqlClient (a Postgres server or the embedded database).
 *
 * @since 0.1.0
 */
export * as Postgres from "./Postgres.js"

/**
 * The embedded database (PGlite), loaded only when used.
 *
 * @since 0.1.0
 */
export * as Embedded from "./Embedded.js"

/**
 * Looking after a dataset: load history, resource state, reset and drop, read-only SQL.
 *
 * @since 0.1.0
 */
export * as Operations from "./Operations.js"

/**
 * Page requests over any HttpClient: limits, auth, rate limit, classification, retry.
 *
 * @since 0.1.0
 */
export * as ApiClient from "./ApiClient.js"

/**
 * dlt's auth types and the authenticators that sign requests.
 *
 * @since 0.1.0
 */
export * as Auth from "./Auth.js"

/**
 * Our HttpClient over undici, the fastest for thousands of JSON pages.
 *
 * @since 0.1.0
 */
export * as UndiciHttpClient from "./UndiciHttpClient.js"

/**
 * Scripted HTTP, the embedded database in memory, and reading back tables, for tests.
 *
 * @since 0.1.0
 */
export * as Testing from "./Testing.js"

/**
 * Spans and metrics of runs, for apps with their own tracer (OTLP export: the separate
 * `effect-rest-connector/OpenTelemetry` module, which needs `@effect/opentelemetry`; likewise
 * `effect-rest-connector/Cluster`, which needs `@effect/cluster`, `@effect/workflow` and `@effect/rpc`).
 *
 * @since 0.1.0
 */
export * as Telemetry from "./Telemetry.js"

/**
 * A local web dashboard of a dataset: runs, load history, schema, state, data, read-only SQL.
 *
 * @since 0.1.0
 */
export * as Dashboard from "./Dashboard.js"
