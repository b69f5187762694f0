/**
 * Credentials the way dlt users keep them: auth shorthands and auth dicts that leave a field
 * out are completed from dlt's environment variables and `.dlt/secrets.toml` sections, as in
 * dlt's tests/sources/rest_api/configurations/test_auth_config.py and source_configs.py.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Redacted } from "effect"
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import type { Auth } from "../../src/internal/config/authSpec.js"
import * as ConnectorConfig from "../../src/internal/config/connectorConfig.js"

type Resolved = Auth<Redacted.Redacted<string>>

const withAuth = (auth: unknown) => ({ client: { base_url: "https://api.example.com/", auth }, resources: ["posts"] })

/** Resolves a config with `env` as the environment (ConfigProvider and process.env both). */
const resolveWith = (config: unknown, env: Record<string, string>, file?: string) =>
  Effect.gen(function*() {
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
    Object.assign(process.env, env)
    const result = yield* ConnectorConfig.resolve(config, { file }).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.either
    )
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    return result
  })

const value = (s: Redacted.Redacted<string>) => Redacted.value(s)

describe("test_auth_shorthands (dlt)", () => {
  for (const section of ["SOURCES__REST_API__CREDENTIALS", "SOURCES__CREDENTIALS", "CREDENTIALS"]) {
    it.effect(`each auth type name alone is completed from ${section}__*`, () =>
      Effect.gen(function*() {
        const env = {
          [`${section}__TOKEN`]: "token",
          [`${section}__API_KEY`]: "api_key",
          [`${section}__USERNAME`]: "username",
          [`${section}__PASSWORD`]: "password",
          [`${section}__ACCESS_TOKEN_URL`]: "https://example.com/oauth/token",
          [`${section}__CLIENT_ID`]: "a_client_id",
          [`${section}__CLIENT_SECRET`]: "a_client_secret"
        }
        const auths: Array<Resolved | undefined> = []
        for (const type of ["bearer", "api_key", "http_basic", "oauth2_client_credentials"]) {
          const result = yield* resolveWith(withAuth(type), env)
          auths.push(Either.getOrThrow(result).client.auth)
        }
        const [bearer, apiKey, basic, oauth] = auths
        expect(bearer?._tag === "Bearer" && value(bearer.token)).toBe("token")
        expect(apiKey?._tag === "ApiKey" && [value(apiKey.apiKey), apiKey.location, apiKey.name]).toEqual(["api_key", "header", "Authorization"])
        expect(basic?._tag === "HttpBasic" && [value(basic.username), value(basic.password)]).toEqual(["username", "password"])
        expect(oauth?._tag === "OAuth2ClientCredentials" && [oauth.accessTokenUrl, value(oauth.clientId), value(oauth.clientSecret), oauth.defaultExpiration])
          .toEqual(["https://example.com/oauth/token", "a_client_id", "a_client_secret", 3600])
      }))
  }

  it.effect("test_auth_type_configs: a dict that leaves the secret out gets it injected; its own fields stay", () =>
    Effect.gen(function*() {
      const result = yield* resolveWith(withAuth({ type: "http_basic", username: "username" }), { CREDENTIALS__PASSWORD: "password" })
      const auth = Either.getOrThrow(result).client.auth
      expect(auth?._tag === "HttpBasic" && [value(auth.username), value(auth.password)]).toEqual(["username", "password"])
    }))

  it.effect("the most specific section wins: the source's own (from the config file's name) before the shared ones", () =>
    Effect.gen(function*() {
      const result = yield* resolveWith(withAuth("bearer"), {
        SOURCES__REST_API__GITHUB__CREDENTIALS__TOKEN: "own",
        CREDENTIALS__TOKEN: "shared"
      }, "/somewhere/github.yaml")
      const auth = Either.getOrThrow(result).client.auth
      expect(auth?._tag === "Bearer" && value(auth.token)).toBe("own")
    }))
})

describe(".dlt/secrets.toml", () => {
  it.effect("a secrets.toml beside the config fills what the environment does not", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.promise(() => mkdtemp(path.join(tmpdir(), "rc-dlt-")))
      yield* Effect.promise(() => mkdir(path.join(dir, ".dlt")))
      yield* Effect.promise(() =>
        writeFile(path.join(dir, ".dlt", "secrets.toml"), "[sources.rest_api.shop.credentials]\napi_key = \"from-toml-77\"\n")
      )
      const result = yield* resolveWith(withAuth({ type: "api_key", location: "query", name: "key" }), {}, path.join(dir, "shop.json"))
      yield* Effect.promise(() => rm(dir, { recursive: true, force: true }))
      const auth = Either.getOrThrow(result).client.auth
      expect(auth?._tag === "ApiKey" && [value(auth.apiKey), auth.location, auth.name]).toEqual(["from-toml-77", "query", "key"])
    }))
})

describe("source_configs.py: a field found nowhere", () => {
  it.effect("fails naming the field and every place looked in", () =>
    Effect.gen(function*() {
      const result = yield* resolveWith(withAuth("api_key"), {}, "/configs/invalid_config.json")
      if (Either.isRight(result)) return expect.fail("expected a config error")
      const message = result.left.message
      expect(message).toContain("client.auth.api_key")
      expect(message).toContain("SOURCES__REST_API__INVALID_CONFIG__CREDENTIALS__API_KEY")
      expect(message).toContain("CREDENTIALS__API_KEY")
      expect(message).toContain("[sources.rest_api.invalid_config.credentials] api_key")
      expect(message).toContain(path.join("/configs", ".dlt", "secrets.toml"))
      expect(message).not.toContain("Expected \"bearer\"")
    }))
})
