/**
 * A detected paginator and auth put into a minimal config, made into a source as `init`'s output
 * would be: it must decode, resolve and find its secrets (given through a ConfigProvider).
 */
import { ConfigProvider, Effect, Schema } from "effect"
import type { ConfigError } from "../../src/internal/config/configError.js"
import { RestApiConfig } from "../../src/internal/config/schema.js"
import type { SourceSpec } from "../../src/internal/config/spec.js"
import type { Secret } from "../../src/internal/config/secrets.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import type { AuthGuess } from "../../src/internal/openapi/detectAuth.js"
import type { PaginatorGuess } from "../../src/internal/openapi/detectPaginator.js"

export const minimalConfig = (
  paginator: PaginatorGuess | undefined,
  auth: AuthGuess | undefined,
  path = "items"
): Record<string, unknown> => ({
  client: { base_url: "https://api.test/v1/", ...(auth?.auth === undefined ? {} : { auth: auth.auth }) },
  resources: [{
    name: "items",
    endpoint: {
      path,
      ...(paginator === undefined ? {} : { paginator: paginator.paginator }),
      ...(paginator === undefined || Object.keys(paginator.params).length === 0 ? {} : { params: paginator.params })
    }
  }]
})

/** Decodes the config with our Schema, then makes the source (secrets read from `secrets`, each set to `<name>-value`). */
export const makeSource = (
  config: Record<string, unknown>,
  secrets: ReadonlyArray<string>
): Effect.Effect<SourceSpec<Secret>, ConfigError | Error> =>
  Schema.decodeUnknown(RestApiConfig, { onExcessProperty: "error" })(config).pipe(
    Effect.mapError((e) => new Error(e.message)),
    Effect.flatMap((decoded) => RestApiSource.make(decoded)),
    Effect.map((source) => source.spec),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(secrets.map((s) => [s, `${s}-value`]))))
  )
